/* The console's emergency banner: kept current without a reload, with a sound for each new alert.
   base.html renders the banner with the page; this asks the console for the open alerts every
   2 seconds (a short poll: the console runs on sync workers), on alerts-clock.js's ticks, and
   redraws it: the newest few alerts, and a line with how many older ones are open too. */
(function () {
  "use strict";
  var POLL_EVERY_MS = 2000;
  var banner = document.getElementById("alerts");
  var rowTemplate = document.getElementById("alert-row");
  var status = document.getElementById("alerts-status");
  if (!banner || !rowTemplate) return;
  var list = banner.querySelector("ul");
  var more = document.getElementById("alerts-more");
  var older = document.getElementById("alerts-older");
  var stopped = false;

  // Alerts already sounded in this tab, across its page loads (the queue reloads itself).
  var HEARD_KEY = "emergency-alerts-heard";
  var heard = {};
  try { heard = JSON.parse(sessionStorage.getItem(HEARD_KEY) || "{}") || {}; } catch (e) { heard = {}; }

  // A short two-tone beep from an oscillator: no audio file to serve.
  var audio = null;
  function chime() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return true;  // no sound to be had: the banner has to do
    try {
      audio = audio || new Context();
      if (audio.state !== "running") {
        // Autoplay refused until the person touches the page: try again at the next poll.
        audio.resume().catch(function () {});
        return false;
      }
      [0, 0.25].forEach(function (start, i) {
        var tone = audio.createOscillator(), volume = audio.createGain(), at = audio.currentTime + start;
        tone.frequency.value = i ? 660 : 880;
        volume.gain.setValueAtTime(0.2, at);
        volume.gain.exponentialRampToValueAtTime(0.001, at + 0.22);
        tone.connect(volume).connect(audio.destination);
        tone.start(at);
        tone.stop(at + 0.22);
      });
      return true;
    } catch (e) {
      return true;
    }
  }
  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, function () { if (audio) audio.resume().catch(function () {}); }, true);
  });

  function soundNew(ids) {
    var fresh = ids.filter(function (id) { return !heard[id]; });
    if (fresh.length && chime()) {
      fresh.forEach(function (id) { heard[id] = true; });
      try { sessionStorage.setItem(HEARD_KEY, JSON.stringify(heard)); } catch (e) { /* private mode */ }
    }
  }

  function rowOf(alert) {
    var row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.setAttribute("data-alert", alert.id);
    row.querySelectorAll("[data-field]").forEach(function (field) {
      field.textContent = alert[field.getAttribute("data-field")];
    });
    row.querySelector("a").href = alert.case_url;
    row.querySelector("form").action = alert.acknowledge_url;
    return row;
  }

  // The open alerts beyond those shown, as base.html words it: "And 990 older alerts not yet acknowledged".
  function showOlder(count) {
    older.textContent = count.toLocaleString("en-US") + (count === 1 ? " older alert" : " older alerts");
    more.hidden = count <= 0;
  }

  var shown = null;  // what the banner shows now, to leave the DOM (and screen readers) alone when nothing changed
  function show(answer) {
    var alerts = answer.alerts;
    var now = JSON.stringify(answer);
    if (now !== shown) {
      shown = now;
      list.replaceChildren.apply(list, alerts.map(rowOf));
      showOlder(answer.total - alerts.length);
      banner.hidden = alerts.length === 0;
    }
    soundNew(alerts.map(function (alert) { return String(alert.id); }));
  }

  function say(message) {
    status.textContent = message;
    status.hidden = !message;
  }

  // The idle timeout ended the session (the poll does not count as activity): say so plainly.
  function signedOut() {
    stopped = true;
    banner.querySelector("h2").textContent =
      "Signed out after a while without activity: this page no longer shows emergencies. Reload it to sign in again.";
    list.replaceChildren();
    more.hidden = true;
    banner.hidden = false;
    if (clock) clock.terminate();
  }

  var polling = false, clock = null;
  function poll() {
    if (stopped || polling) return;  // a slow answer is waited for, not asked again on top
    polling = true;
    fetch(banner.getAttribute("data-poll"), {
      headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store", redirect: "manual",
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
        signedOut();
        return null;
      }
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (answer) show(answer);
    }).catch(function () {
      // The network blinked or the server restarts: the next tick asks again.
    }).then(function () {
      polling = false;
    });
  }

  // Acknowledge from the banner without leaving the page; the plain form post works without this.
  banner.addEventListener("submit", function (event) {
    var form = event.target;
    event.preventDefault();
    form.querySelector("button").disabled = true;
    fetch(form.action, {
      method: "POST", body: new FormData(form), headers: { Accept: "application/json" },
      credentials: "same-origin", redirect: "manual",
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (answer) {
      say(answer.message);
      var row = form.closest("li");
      if (row) row.remove();
      banner.hidden = list.children.length === 0 && more.hidden;  // older ones move up at the next poll
      shown = null;  // the next poll redraws from what the server says
    }).catch(function () {
      form.submit();  // the plain post, which shows what went wrong
    });
  });

  soundNew(Array.prototype.map.call(list.children, function (row) { return row.getAttribute("data-alert"); }));
  // Without a worker (none, or its script did not load), the page's own timer, slowed in a background tab.
  function tickOnThePage() { clock = null; setInterval(poll, POLL_EVERY_MS); }
  try {
    clock = new Worker(banner.getAttribute("data-clock"));
    clock.onmessage = poll;
    clock.onerror = tickOnThePage;
    clock.postMessage(POLL_EVERY_MS);
  } catch (e) {
    tickOnThePage();
  }
})();
