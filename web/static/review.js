// The 校对 queue: Enter in an item's input confirms or saves it through the JSON API, and the
// cursor moves on to the next open item; ↑/↓ move between items. Without JavaScript the same
// forms post to the server, which comes back with the next item focused.
(function () {
  var list = document.getElementById("review-list");
  if (!list) return;
  var api = list.getAttribute("data-api");

  function items() {
    return Array.prototype.slice.call(list.querySelectorAll("li.review-item"));
  }
  function inputOf(li) { return li.querySelector("input[name=value]"); }
  function focusItem(li) {
    if (!li) return false;
    var input = inputOf(li);
    input.focus();
    input.select();
    li.scrollIntoView({block: "center"});
    return true;
  }
  function nextOpen(from) {
    var all = items(), start = all.indexOf(from);
    for (var k = 1; k <= all.length; k++) {
      var li = all[(start + k) % all.length];
      if (!li.classList.contains("done")) return li;
    }
    return null;
  }
  function show(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }
  function summary(q) {
    show("review-open", String(q.open_count));
    show("review-answered", String(q.answered_count));
    var outcome = document.getElementById("review-outcome");
    if (outcome) {
      outcome.textContent = q.outcome_label;
      outcome.className = "tag " + (q.outcome === "complete" ? "ok" : (q.outcome === "incomplete" || q.outcome === "rejected") ? "bad" : "");
    }
    var prov = document.getElementById("review-provisional"), fin = document.getElementById("review-final");
    if (prov) prov.hidden = !q.provisional;
    if (fin) fin.hidden = q.provisional;
    var waive = document.getElementById("waive");
    if (waive && (q.open_count === 0 || q.waiver)) waive.closest("section").hidden = true;
  }

  function send(li, form) {
    var input = inputOf(li), error = form.querySelector(".review-error");
    var token = form.querySelector("input[name=csrf_token]").value;
    var key = li.getAttribute("data-key");
    input.disabled = true;
    fetch(api + "/" + encodeURIComponent(key), {
      method: "PUT", credentials: "same-origin",
      headers: {"content-type": "application/json", "accept": "application/json", "X-CSRF-Token": token},
      body: JSON.stringify({value: input.value})
    }).then(function (res) {
      return res.json().then(function (body) { return {ok: res.ok, body: body}; });
    }).then(function (r) {
      input.disabled = false;
      if (!r.ok) {
        error.textContent = r.body && r.body.detail ? String(r.body.detail) : "保存失败，请重试";
        li.classList.add("has-error");
        focusItem(li);
        return;
      }
      error.textContent = "";
      li.classList.remove("has-error");
      li.classList.add("done");
      var a = r.body.answer;
      if (a) input.value = a.value;
      var done = form.querySelector(".review-done") || document.createElement("span");
      done.className = "review-done";
      done.setAttribute("role", "status");
      done.textContent = a ? (a.confirmed ? "已确认" : "已更正为“" + a.value + "”") : "已保存";
      if (r.body.contents_row) done.textContent += "，卷内目录已同步";
      form.appendChild(done);
      summary(r.body.queue);
      if (!focusItem(nextOpen(li))) {
        var box = document.getElementById("review-summary");
        if (box) box.scrollIntoView({block: "start"});
      }
    }).catch(function () {
      input.disabled = false;
      error.textContent = "网络错误，未保存，请重试";
      focusItem(li);
    });
  }

  items().forEach(function (li) {
    var form = li.querySelector("form.review-form");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      send(li, form);
    });
    inputOf(li).addEventListener("keydown", function (ev) {
      if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
      var all = items(), k = all.indexOf(li) + (ev.key === "ArrowDown" ? 1 : -1);
      if (k >= 0 && k < all.length) {
        ev.preventDefault();
        focusItem(all[k]);
      }
    });
    inputOf(li).addEventListener("focus", function () { this.select(); });
  });
  var first = items().filter(function (li) { return !li.classList.contains("done"); })[0];
  if (first && !list.querySelector(".has-error")) focusItem(first);
  else if (list.querySelector(".has-error")) focusItem(list.querySelector(".has-error"));
})();
