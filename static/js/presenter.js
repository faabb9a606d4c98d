/* Presenter screen: swap the check-in code and QR when the code rotates. Without JS the page
   reloads itself (meta refresh in <noscript>) and has a reload link. */
(function () {
  "use strict";
  var root = document.querySelector("[data-presenter]");
  if (!root || !window.fetch) { return; }
  var texts = document.getElementById("presenter-texts");
  var stateUrl = root.getAttribute("data-state-url");
  var pageState = texts ? texts.getAttribute("data-state") : "";
  var left = parseInt(root.getAttribute("data-seconds-left"), 10) || 1;
  var codeEl = root.querySelector("[data-code]");
  var qrEl = root.querySelector("[data-qr]");
  var linkEl = root.querySelector("[data-link]");
  var countdownEl = root.querySelector("[data-countdown-text]");
  var countEl = root.querySelector("[data-count-text]");

  function fill(template, n) { return (template || "").replace("{n}", String(n)); }

  function tick() {
    left = Math.max(0, left - 1);
    if (countdownEl && texts) { countdownEl.textContent = fill(texts.getAttribute("data-countdown"), left); }
    if (left <= 0) { refresh(); } else { window.setTimeout(tick, 1000); }
  }

  function apply(s) {
    if (s.state !== pageState) { window.location.reload(); return; }
    if (codeEl) { codeEl.textContent = s.code; }
    if (qrEl) { qrEl.src = s.qr_url; qrEl.alt = qrEl.alt.replace(/[0-9A-Z]{6}$/, s.code); }
    if (linkEl) { linkEl.href = s.checkin_url; linkEl.textContent = s.checkin_url; }
    if (countEl && texts) { countEl.textContent = fill(texts.getAttribute("data-count"), s.checked_in); }
    left = s.seconds_left;
    window.setTimeout(tick, 1000);
  }

  function refresh() {
    window.fetch(stateUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(apply)
      .catch(function () { left = 5; window.setTimeout(tick, 1000); });
  }

  window.setTimeout(tick, 1000);
})();
