// Live preview for the module editor: the server renders and sanitises; without JS the Preview button works.
(function () {
  "use strict";
  var form = document.querySelector("form.editor[data-preview-url]");
  if (!form || !window.fetch) { return; }
  var source = form.querySelector("textarea[name=body_md]");
  var target = document.getElementById("preview");
  var token = form.querySelector("input[name=csrf_token]");
  var timer = null;
  function refresh() {
    var body = new FormData();
    body.append("body_md", source.value);
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: token ? { "X-CSRFToken": token.value } : {}
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { target.innerHTML = data.html; } })
      .catch(function () { /* offline: keep the last preview */ });
  }
  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
}());
