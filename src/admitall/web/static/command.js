// The command screen keeps itself current: every data-refresh seconds it asks the server for the same page and
// puts in each live section whose content changed. A section holding the keyboard focus in a form field waits
// for the next round, so nobody's typing is lost. Without this script the page is whole; it just does not move.
// It sends back the ETag of the last page it got: while the figures are the same the server answers 304, empty
// (the screens are kept in a shared cache, services/screen_cache.py; no browser keeps them: no-store).
(function () {
  "use strict";
  var seconds = parseInt(document.body.getAttribute("data-refresh"), 10) || 30;
  var status = document.getElementById("live-status");
  var busy = false;
  var etag = null;

  function say(key, extra) {
    if (!status) return;
    status.textContent = (status.getAttribute(key) || "") + (extra ? " " + extra : "");
  }

  function editing(section) {
    var active = document.activeElement;
    return active && section.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  function apply(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var changed = 0;
    fresh.querySelectorAll("[data-live][id]").forEach(function (next) {
      var now = document.getElementById(next.id);
      if (!now || now.innerHTML === next.innerHTML || editing(now)) return;
      now.innerHTML = next.innerHTML;
      changed += 1;
    });
    document.body.setAttribute("data-refreshed", String(Date.now()));
    return changed;
  }

  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    var headers = { Accept: "text/html" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(window.location.href, { credentials: "same-origin", headers: headers })
      .then(function (response) {
        if (response.status === 304) return "";
        if (response.redirected && response.url.indexOf("/login") !== -1) {
          say("data-signed-out");
          return null;
        }
        if (!response.ok) throw new Error(String(response.status));
        etag = response.headers.get("ETag");
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        if (html) apply(html);
        say("data-updated", new Date().toLocaleTimeString());
      })
      .catch(function () {
        say("data-failed");
      })
      .then(function () {
        busy = false;
      });
  }

  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refresh();
  });
})();
