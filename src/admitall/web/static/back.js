// "Back" on the error page: the browser's history where there is one, else the link's own address. A script
// file, not a javascript: link, because the pages' Content-Security-Policy runs no inline script.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-back]") : null;
    if (!link || window.history.length < 2) return;
    event.preventDefault();
    window.history.back();
  });
})();
