/* Quiz attempt page, progressive enhancement (the page works without it through "Simpan & lanjut").
 *
 * - saves each answer in the background when it changes (text: after a pause) and every 30 s;
 * - keeps unsent saves in an ordered queue in localStorage and replays them when the connection returns;
 * - numbers every save (seq), so the server ignores a replay older than what it has: repeats are harmless;
 * - shows a saved receipt per question and a status line (aria-live);
 * - counts down to the server's deadline and submits when the time is up.
 * Data comes from data- attributes; no inline script (CSP script-src 'self').
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-quiz-attempt]");
  if (!form || !window.fetch || !window.JSON || !window.Promise) {
    return;
  }

  var attemptId = form.getAttribute("data-quiz-attempt");
  var saveUrl = form.getAttribute("data-save-url");
  var texts = JSON.parse(form.getAttribute("data-texts") || "{}");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var csrf = csrfInput ? csrfInput.value : "";
  var statusEl = document.querySelector("[data-save-status]");
  var queueKey = "bimtek-quiz-queue-" + attemptId;
  var seqKey = "bimtek-quiz-seq-" + attemptId;
  var running = null;  /* the flush in progress (a promise), so a caller can wait for it instead of giving up */
  var closed = false;
  var retryTimer = null;
  var allowSubmit = false;
  var lastValue = {};

  function load(key, fallback) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function store(key, value) {
    try {
      if (value === null) {
        window.localStorage.removeItem(key);
      } else {
        window.localStorage.setItem(key, JSON.stringify(value));
      }
    } catch (e) { /* private mode or full: the in-memory queue still works while the page is open */ }
  }

  var queue = load(queueKey, []);
  if (!Array.isArray(queue)) {
    queue = [];
  }

  function fieldsets() {
    return Array.prototype.slice.call(form.querySelectorAll("fieldset[data-question]"));
  }

  function fieldsetFor(uid) {
    return fieldsets().filter(function (fs) { return fs.getAttribute("data-question") === uid; })[0] || null;
  }

  var counter = Number(load(seqKey, 0)) || 0;
  fieldsets().forEach(function (fs) {
    counter = Math.max(counter, Number(fs.getAttribute("data-seq")) || 0);
  });
  queue.forEach(function (item) { counter = Math.max(counter, Number(item.seq) || 0); });

  function nextSeq() {
    counter += 1;
    store(seqKey, counter);
    return counter;
  }

  function inputs(fs) {
    return Array.prototype.slice.call(fs.querySelectorAll("input[name^='q-']"));
  }

  function valueOf(fs) {
    var type = fs.getAttribute("data-type");
    var boxes = inputs(fs);
    if (type === "multiple") {
      return boxes.filter(function (i) { return i.checked; }).map(function (i) { return Number(i.value); });
    }
    if (type === "single") {
      var picked = boxes.filter(function (i) { return i.checked; })[0];
      return picked ? Number(picked.value) : null;
    }
    if (type === "truefalse") {
      var tf = boxes.filter(function (i) { return i.checked; })[0];
      return tf ? tf.value : null;
    }
    return boxes.length ? boxes[0].value : null;
  }

  function setValue(fs, value) {
    var type = fs.getAttribute("data-type");
    inputs(fs).forEach(function (input) {
      if (type === "multiple") {
        input.checked = Array.isArray(value) && value.indexOf(Number(input.value)) !== -1;
      } else if (type === "single") {
        input.checked = value !== null && Number(input.value) === Number(value);
      } else if (type === "truefalse") {
        input.checked = input.value === value;
      } else {
        input.value = value === null || value === undefined ? "" : String(value);
      }
    });
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function setStatus(text, state) {
    if (!statusEl) {
      return;
    }
    statusEl.textContent = text;
    statusEl.className = "save-status" + (state ? " is-" + state : "");
  }

  function setReceipt(fs, text, state) {
    var receipt = fs && fs.querySelector("[data-receipt]");
    if (receipt) {
      receipt.textContent = text;
      receipt.className = "receipt" + (state ? " is-" + state : "");
    }
  }

  function clock() {
    try {
      return new Date().toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    } catch (e) {
      return new Date().toTimeString().slice(0, 8);
    }
  }

  function persist() {
    store(queueKey, queue.length ? queue : null);
  }

  function enqueue(fs) {
    if (closed) {
      return;
    }
    var uid = fs.getAttribute("data-question");
    var value = valueOf(fs);
    if (uid in lastValue && same(lastValue[uid], value)) {
      return;
    }
    lastValue[uid] = value;
    var seq = nextSeq();
    queue.push({ question: uid, answer: value, seq: seq });
    persist();
    var seqInput = fs.querySelector("[data-seq-input]");
    if (seqInput) {
      seqInput.value = String(seq);
    }
    setReceipt(fs, texts.pending, "pending");
    flush();
  }

  function scheduleRetry() {
    if (!retryTimer) {
      retryTimer = window.setTimeout(function () {
        retryTimer = null;
        flush();
      }, 5000);
    }
  }

  function stopAsClosed(message) {
    closed = true;
    queue = [];
    persist();
    store(seqKey, null);
    setStatus(message || texts.closed, "error");
    fieldsets().forEach(function (fs) { fs.disabled = true; });
    var resultUrl = form.getAttribute("data-result-url");
    if (statusEl && resultUrl && !statusEl.querySelector("a")) {
      var link = document.createElement("a");
      link.href = resultUrl;
      link.textContent = texts.see_result;
      statusEl.appendChild(document.createTextNode(" "));
      statusEl.appendChild(link);
    }
  }

  function send(item) {
    return fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(item)
    }).then(function (response) {
      return response.json().then(function (body) {
        return { status: response.status, body: body };
      }, function () {
        return { status: response.status, body: null };
      });
    });
  }

  /* Send the queue front to back, one request at a time, so saves reach the server in the order given.
   * Resolves true once the queue is empty. While a flush runs, a new call waits for it and then sends what is
   * left (answers queued meanwhile), so a caller such as the submit button is never told "not done" early. */
  function flush() {
    if (running) {
      return running.then(function (done) { return done ? flush() : false; });
    }
    if (closed) {
      return Promise.resolve(!queue.length);
    }
    if (!queue.length) {
      return Promise.resolve(true);
    }
    if (navigator.onLine === false) {
      setStatus(texts.offline, "offline");
      return Promise.resolve(false);
    }
    var finish = function (done) {
      running = null;
      return done;
    };
    running = sendQueue().then(finish, function () { return finish(false); });
    return running;
  }

  function sendQueue() {
    if (closed || !queue.length) {
      return Promise.resolve(!queue.length);
    }
    var item = queue[0];
    return send(item).then(function (result) {
      var fs = fieldsetFor(item.question);
      var message = result.body && result.body.error ? result.body.error.message : "";
      if (result.status === 200 && result.body && result.body.ok) {
        if (queue.length && queue[0].seq === item.seq) {
          queue.shift();
          persist();
        }
        if (!queue.some(function (q) { return q.question === item.question; })) {
          setReceipt(fs, texts.saved + " " + clock(), "saved");
        }
        if (queue.length) {
          return sendQueue();
        }
        setStatus(texts.all_saved + " " + clock(), "saved");
        return true;
      }
      if (result.status === 409) {
        stopAsClosed(message);
        return false;
      }
      if (result.status === 422 || result.status === 413) {
        queue.shift();
        persist();
        setReceipt(fs, message || texts.retry, "error");
        return sendQueue();
      }
      if (result.status === 400 || result.status === 401 || result.status === 403 || (result.status === 200)) {
        setStatus(texts.session, "error");  /* CSRF or sign-in lost: keep the queue for after a reload */
        return false;
      }
      setStatus(texts.retry, "offline");
      scheduleRetry();
      return false;
    }, function () {
      setStatus(navigator.onLine === false ? texts.offline : texts.retry, "offline");
      scheduleRetry();
      return false;
    });
  }

  /* Answers queued in an earlier visit are newer than what the server rendered: show them, then send them. */
  queue.forEach(function (item) {
    var fs = fieldsetFor(item.question);
    if (fs) {
      setValue(fs, item.answer);
      var seqInput = fs.querySelector("[data-seq-input]");
      if (seqInput) {
        seqInput.value = String(item.seq);
      }
      setReceipt(fs, texts.pending, "pending");
    }
  });
  fieldsets().forEach(function (fs) {
    lastValue[fs.getAttribute("data-question")] = valueOf(fs);
  });

  form.addEventListener("change", function (event) {
    var fs = event.target.closest("fieldset[data-question]");
    if (fs) {
      enqueue(fs);
    }
  });

  var typingTimers = {};
  form.addEventListener("input", function (event) {
    var fs = event.target.closest("fieldset[data-question]");
    if (!fs || event.target.type !== "text") {
      return;
    }
    var uid = fs.getAttribute("data-question");
    window.clearTimeout(typingTimers[uid]);
    typingTimers[uid] = window.setTimeout(function () { enqueue(fs); }, 1500);
  });

  window.setInterval(function () {
    fieldsets().forEach(function (fs) { enqueue(fs); });
    flush();
  }, 30000);

  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", function () { setStatus(texts.offline, "offline"); });

  function submitWith(submitter) {
    allowSubmit = true;
    if (form.requestSubmit) {
      form.requestSubmit(submitter || undefined);
    } else {
      if (submitter && submitter.getAttribute("formaction")) {
        form.action = submitter.getAttribute("formaction");
      }
      form.submit();
    }
  }

  /* A plain post still works, but first send what is queued (waiting for a save already on its way); offline,
   * keep the answers and say so. A press while waiting only changes which button is honoured: one post. */
  var waitingSubmit = false;
  var pendingSubmitter = null;
  form.addEventListener("submit", function (event) {
    if (allowSubmit || closed) {
      return;
    }
    fieldsets().forEach(function (fs) { enqueue(fs); });
    if (!queue.length && !waitingSubmit) {
      return;
    }
    event.preventDefault();
    pendingSubmitter = event.submitter || null;
    if (waitingSubmit) {
      return;
    }
    if (navigator.onLine === false) {
      setStatus(texts.offline_submit, "offline");
      return;
    }
    waitingSubmit = true;
    flush().then(function (done) {
      waitingSubmit = false;
      if (done || closed) {
        submitWith(pendingSubmitter);
      }
    });
  });

  /* Countdown to the server's deadline, corrected for the difference between this clock and the server's. */
  var deadline = Date.parse(form.getAttribute("data-deadline") || "");
  var serverNow = Date.parse(form.getAttribute("data-server-now") || "");
  var countdown = document.querySelector("[data-countdown]");
  var alertEl = document.querySelector("[data-time-alert]");
  if (!isNaN(deadline) && countdown) {
    var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
    var announced = {};
    var submitButton = form.querySelector("[data-submit]");
    countdown.hidden = false;
    var timer = window.setInterval(function () {
      var left = Math.max(0, Math.floor((deadline - (Date.now() + skew)) / 1000));
      var h = Math.floor(left / 3600);
      var m = Math.floor((left % 3600) / 60);
      var s = left % 60;
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      countdown.textContent = "(" + texts.remaining + " " + (h ? h + ":" + pad(m) : m) + ":" + pad(s) + ")";
      countdown.classList.toggle("is-low", left <= 300);
      [[300, "time_5"], [60, "time_1"]].forEach(function (pair) {
        if (left <= pair[0] && left > pair[0] - 5 && !announced[pair[1]] && alertEl) {
          announced[pair[1]] = true;
          alertEl.textContent = texts[pair[1]];
        }
      });
      if (left <= 0) {
        window.clearInterval(timer);
        if (alertEl) {
          alertEl.textContent = texts.time_up;
        }
        if (navigator.onLine === false) {
          setStatus(texts.offline_submit, "offline");
          return;
        }
        allowSubmit = true;
        if (submitButton) {
          submitWith(submitButton);
        } else {
          window.location.href = form.getAttribute("data-result-url");
        }
      }
    }, 1000);
  }

  flush();
}());
