// The help form's community search (/help): typing a community's or street's name fills the choice of communities
// from /api/help/communities, a few hundred milliseconds after the last key; the search button does the same
// without leaving the page. Without this script the button reloads the page with the matches (pages_help.py).
(function () {
  "use strict";
  var box = document.getElementById("f-cq");
  var pick = document.getElementById("f-unit_code");
  var button = document.getElementById("help-search");
  if (!box || !pick || !button) return;
  var timer = null;
  var asked = 0;

  function fill(found) {
    var chosen = pick.value;
    while (pick.options.length) pick.remove(0);
    var first = document.createElement("option");
    first.value = "";
    first.textContent = found.length ? pick.dataset.pick : pick.dataset.none;
    pick.appendChild(first);
    found.forEach(function (c) {
      var option = document.createElement("option");
      option.value = c.code;
      option.textContent = c.label;
      if (c.code === chosen) option.selected = true;
      pick.appendChild(option);
    });
    if (found.length === 1) pick.value = found[0].code;
  }

  function search() {
    var q = box.value.trim();
    if (!q) return;
    var mine = ++asked;
    fetch(pick.dataset.search + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { communities: [] }; })
      .then(function (data) { if (mine === asked) fill(data.communities || []); })
      .catch(function () { /* the button still works without the script's search */ });
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 300);
  });
  box.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); search(); }
  });
  button.addEventListener("click", function (e) { e.preventDefault(); search(); });
})();
