/* The door-to-door survey app (issue 17 §3): works offline.
   Households of the community are loaded into IndexedDB; each visit is queued there with its idempotency key and
   sent in batches to /api/survey/visits when the network is up (with the session's CSRF token); the server's
   answer removes what it stored (or had stored before), and keeps conflicts and refusals for the team to see.
   A reload offline shows the same queue. The words come from the page (data-w-* and the person template). */
"use strict";
(function () {
  const root = document.getElementById("survey");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const word = (name, values) => {
    let text = root.dataset["w" + name] || "";
    for (const [k, v] of Object.entries(values || {})) text = text.split("{" + k + "}").join(String(v));
    return text;
  };
  const lang = root.dataset.lang === "en" ? "en" : "zh";
  const tpl = $("person-tpl");
  const statusLabel = {};
  tpl.content.querySelectorAll(".p-category option").forEach((o) => { statusLabel[o.value] = o.textContent; });
  const absentLabel = document.querySelector("input[name=outcome][value=absent]").parentElement.textContent.trim();
  let csrf = null;
  let user = null;  // who signed in last: a visit is sent only by the user who recorded it
  let sending = false;
  let households = [];

  /* --- IndexedDB ------------------------------------------------------------------------------------------- */
  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open("admitall-survey", 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore("meta");
        db.createObjectStore("queue", { keyPath: "key" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  const dbReady = openDb();
  async function tx(store, mode, work) {
    const db = await dbReady;
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const s = t.objectStore(store);
      const out = work(s);
      t.oncomplete = () => resolve(out && "result" in out ? out.result : undefined);
      t.onerror = () => reject(t.error);
    });
  }
  const getMeta = (key) => tx("meta", "readonly", (s) => s.get(key));
  const setMeta = (key, value) => tx("meta", "readwrite", (s) => s.put(value, key));
  const allQueued = () => tx("queue", "readonly", (s) => s.getAll());
  const putVisit = (v) => tx("queue", "readwrite", (s) => s.put(v));
  const dropVisit = (key) => tx("queue", "readwrite", (s) => s.delete(key));

  /* --- drawing ---------------------------------------------------------------------------------------------- */
  // online as far as the phone knows and as the server last answered (a phone may say online and be cut off)
  let reachable = true;
  function setNet(answered) {
    if (answered !== undefined) reachable = answered;
    const up = navigator.onLine && reachable;
    $("net-state").textContent = up ? word("Online") : word("Offline");
    $("net-state").className = up ? "notice" : "alert";
  }
  function flash(text) {
    $("flash").textContent = text;
    $("flash").hidden = !text;
  }
  function describe(v) {
    const place = v.address || (households.find((h) => h.id === v.household_id) || {}).address || "#" + v.household_id;
    return place + " · " + (v.outcome === "absent" ? absentLabel : String((v.people || []).length));
  }
  function reasonText(r) {
    return r ? (lang === "en" ? r.en : r.zh) : "";
  }
  async function drawQueue() {
    const items = await allQueued();
    const queued = items.filter((v) => v.state === "queued");
    $("queue-count").textContent = word("Queue", { n: queued.length });
    $("queue-count").dataset.count = String(queued.length);
    const list = $("queue");
    list.replaceChildren(...queued.map((v) => {
      const li = document.createElement("li");
      li.dataset.key = v.key;
      li.textContent = describe(v);
      return li;
    }));
    const problems = items.filter((v) => v.state !== "queued");
    $("conflicts-section").hidden = problems.length === 0;
    $("conflicts").replaceChildren(...problems.map(drawProblem));
  }
  function drawProblem(v) {
    const li = document.createElement("li");
    li.className = "alert";
    li.dataset.key = v.key;
    li.dataset.state = v.state;
    const head = document.createElement("p");
    head.textContent = (v.state === "refused" ? word("Refused") + ": " : "") + describe(v) + " — " + reasonText(v.reason);
    li.append(head);
    for (const p of v.current || []) {
      const line = document.createElement("p");
      line.className = "small";
      line.dataset.person = String(p.person_id);
      line.textContent = p.name + " · " + word("Now") + " " + (statusLabel[p.status] || p.status);
      li.append(line);
    }
    if (v.state === "conflict") {
      const again = document.createElement("button");
      again.type = "button";
      again.className = "resend";
      again.textContent = word("Resend");
      again.addEventListener("click", () => resend(v));
      li.append(again, " ");
    }
    const drop = document.createElement("button");
    drop.type = "button";
    drop.className = "discard secondary";
    drop.textContent = word("Discard");
    drop.addEventListener("click", async () => { await dropVisit(v.key); drawQueue(); });
    li.append(drop);
    return li;
  }
  function drawHouseholds(data) {
    households = (data && data.households) || [];
    const select = $("household");
    const first = select.options[0];
    select.replaceChildren(first, ...households.map((h) => {
      const o = document.createElement("option");
      o.value = String(h.id);
      o.textContent = h.address + (h.label ? " · " + h.label : "") + (h.visited ? " ✓" : "");
      return o;
    }));
    $("loaded").textContent = data
      ? word("Loaded", { n: households.length, at: new Date(data.loaded_at).toLocaleString(lang === "en" ? "en-GB" : "zh-CN") })
      : word("NotLoaded");
    choose();
  }
  function addPerson(known) {
    const node = tpl.content.firstElementChild.cloneNode(true);
    if (known) {
      node.dataset.personId = String(known.person_id);
      node.dataset.version = String(known.version);
      const name = node.querySelector(".p-name");
      name.value = known.name;
      name.readOnly = true;
      node.querySelector(".known").textContent = "· " + word("Known") + " · " + (statusLabel[known.status] || known.status);
    }
    $("people").append(node);
  }
  function choose() {
    const id = Number($("household").value);
    $("new-household").hidden = Boolean(id);
    $("people").replaceChildren();
    const h = households.find((x) => x.id === id);
    for (const p of (h && h.people) || []) addPerson(p);
  }

  /* --- the network ------------------------------------------------------------------------------------------ */
  function needSignIn(yes) {
    $("signin").hidden = !yes;
    $("signin-link").href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
  }
  async function fetchSession() {
    const r = await fetch(root.dataset.sessionUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    setNet(true);
    if (r.status === 401) { needSignIn(true); return null; }
    if (!r.ok) return null;
    needSignIn(false);
    const s = await r.json();
    csrf = s.csrf;
    user = s.username;
    await setMeta("user", user);
    if (!$("community").value && s.community) $("community").value = s.community;
    return s;
  }
  async function load() {
    const code = $("community").value.trim();
    if (!code) return;
    const url = root.dataset.householdsUrl + "?community=" + encodeURIComponent(code);
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (r.status === 401) { needSignIn(true); return; }
    const data = await r.json();
    if (!r.ok) { flash(reasonText(data.error || data) || String(r.status)); return; }
    data.loaded_at = new Date().toISOString();
    await setMeta("households", data);
    drawHouseholds(data);
  }
  async function post(batch) {
    return fetch(root.dataset.visitsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf || "" },
      body: JSON.stringify({ visits: batch.map(({ state, reason, current, user: _who, ...v }) => v) }),
    });
  }
  async function send() {
    if (sending || !navigator.onLine) return;
    sending = true;
    let sent = 0;
    let answered = false;
    try {
      const waiting = (await allQueued()).filter((v) => v.state === "queued");
      if (!waiting.length) {
        if (!reachable) await fetchSession();  // nothing to send: only see whether the server answers again
        return;
      }
      if (!csrf && !(await fetchSession())) return;
      // visits recorded by someone else on this phone wait for them to sign in
      const queued = waiting.filter((v) => !v.user || v.user === user);
      for (let i = 0; i < queued.length; i += 500) {
        const batch = queued.slice(i, i + 500);
        let r = await post(batch);
        if (r.status === 401) {  // a stale token after signing in again: fetch it once more, else sign in
          if (!(await fetchSession())) return;
          r = await post(batch);
          if (r.status === 401) { needSignIn(true); return; }
        }
        if (!r.ok) { flash(reasonText((await r.json()).error) || String(r.status)); return; }
        const answer = await r.json();
        answered = true;
        setNet(true);
        const byKey = new Map(batch.map((v) => [v.key, v]));
        for (const res of answer.results) {
          const v = byKey.get(res.key);
          if (!v) continue;
          if (res.status === "stored" || res.status === "duplicate") {
            await dropVisit(v.key);
            sent += 1;
          } else {
            await putVisit({ ...v, state: res.status, reason: res.reason, current: res.current || [] });
          }
        }
      }
    } catch (e) {
      // the network is not really there yet (or went away again): the visits stay queued, tried again soon
      setNet(false);
      setTimeout(send, 2000);
    } finally {
      sending = false;
      if (sent) flash(word("Sent", { n: sent }));
      else if (answered) flash("");
      drawQueue();
    }
  }
  async function resend(v) {
    // the team has seen what is recorded now: the visit goes again over the current versions
    const versions = new Map((v.current || []).map((p) => [p.person_id, p.version]));
    const people = (v.people || []).map((p) => (versions.has(p.person_id) ? { ...p, version: versions.get(p.person_id) } : p));
    await putVisit({ ...v, people, state: "queued", reason: null, current: [] });
    await drawQueue();
    send();
  }

  /* --- recording a visit ------------------------------------------------------------------------------------ */
  function newKey() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function readPeople(outcome) {
    if (outcome === "absent") return [];
    return Array.from($("people").querySelectorAll(".person")).map((node) => {
      const p = {
        name: node.querySelector(".p-name").value.trim(),
        phone: node.querySelector(".p-phone").value.trim(),
        temperature: node.querySelector(".p-temp").value.trim() || null,
        symptoms: Array.from(node.querySelectorAll(".p-symptom:checked"), (c) => c.value),
        category: node.querySelector(".p-category").value,
      };
      if (node.dataset.personId) {
        p.person_id = Number(node.dataset.personId);
        p.version = Number(node.dataset.version);
      }
      return p;
    });
  }
  async function record(event) {
    event.preventDefault();
    const id = Number($("household").value);
    const outcome = document.querySelector("input[name=outcome]:checked").value;
    const visit = {
      key: newKey(), outcome, occurred_at: new Date().toISOString(), people: readPeople(outcome), state: "queued",
      user: user || (await getMeta("user")) || null,
    };
    if (id) {
      visit.household_id = id;
    } else {
      visit.community = $("community").value.trim();
      visit.address = $("address").value.trim();
      visit.label = $("label").value.trim();
      if (!visit.address) { $("address").focus(); return; }
    }
    await putVisit(visit);
    $("address").value = "";
    $("label").value = "";
    choose();
    flash(word("Recorded"));
    await drawQueue();
    send();
  }

  $("household").addEventListener("change", choose);
  $("add-person").addEventListener("click", () => addPerson(null));
  $("visit-form").addEventListener("submit", record);
  $("load").addEventListener("click", load);
  $("send").addEventListener("click", send);
  window.addEventListener("online", () => { setNet(true); send(); });
  window.addEventListener("offline", () => setNet());
  // installing the app from the page, where the browser offers it
  let installing = null;
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    installing = event;
    $("install").hidden = false;
  });
  $("install").addEventListener("click", async () => {
    if (!installing) return;
    installing.prompt();
    await installing.userChoice;
    installing = null;
    $("install").hidden = true;
  });
  // a phone may say it is online before the network answers (or never say it came back): try again now and then
  setInterval(send, 5000);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/survey/sw.js", { scope: "/survey/" }).catch(() => {});

  (async function start() {
    setNet();
    const kept = await getMeta("households");
    if (kept && !$("community").value) $("community").value = kept.community;
    drawHouseholds(kept || null);
    await drawQueue();
    if (navigator.onLine) {
      try {
        if (await fetchSession()) send();
      } catch (e) {
        setNet(false);  // offline after all
      }
    }
  })();
})();
