/* The survey app's service worker (scope /survey/): keeps the app's shell so that the app opens offline.
   The shell is fetched from the network first (fresh words and sign-in) and from the cache when there is none;
   data never goes through here into a cache: households and the queue live in the page's IndexedDB. */
"use strict";
const CACHE = "admitall-survey-v2";
const SHELL = [
  "/survey/app", "/static/survey.js", "/static/app.css", "/static/survey.webmanifest", "/static/survey-192.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function shellPath(url) {
  return url.origin === self.location.origin && SHELL.includes(url.pathname) ? url.pathname : null;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const path = shellPath(new URL(request.url));
  if (!path) return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(path, copy));
      }
      return response;
    }).catch(() => caches.match(path).then((hit) => hit || Response.error()))
  );
});
