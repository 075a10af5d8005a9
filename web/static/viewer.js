// Page viewer: zoom in/out/fit on the page image; arrow keys page through the volume.
(function () {
  var img = document.getElementById("page-image");
  if (!img) return;
  var level = 100;
  var label = document.getElementById("zoom-level");
  function apply() {
    img.style.width = level + "%";
    if (label) label.textContent = level + "%";
  }
  document.querySelectorAll("[data-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var how = button.getAttribute("data-zoom");
      if (how === "in") level = Math.min(400, level + 25);
      else if (how === "out") level = Math.max(25, level - 25);
      else level = 100;
      apply();
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.target && /INPUT|SELECT|TEXTAREA/.test(event.target.tagName)) return;
    var link = null;
    if (event.key === "ArrowLeft") link = document.getElementById("prev-page");
    if (event.key === "ArrowRight") link = document.getElementById("next-page");
    if (link) window.location.href = link.href;
  });
})();
