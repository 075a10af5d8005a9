// Progress pages: the #intake-live block is fetched again every 2 s and swapped in place, so the
// page keeps its scroll position and does not flash; <noscript> keeps a plain refresh without JS.
(function () {
  var live = document.getElementById("intake-live");
  if (!live || live.getAttribute("data-done") === "yes") return;
  function tick() {
    fetch(window.location.href, {headers: {accept: "text/html"}, credentials: "same-origin"})
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("intake-live");
          if (fresh) {
            live.replaceWith(fresh);
            live = fresh;
          }
        }
        if (live.getAttribute("data-done") !== "yes") window.setTimeout(tick, 2000);
      })
      .catch(function () { window.setTimeout(tick, 5000); });  // server restarting: try again later
  }
  window.setTimeout(tick, 2000);
})();
