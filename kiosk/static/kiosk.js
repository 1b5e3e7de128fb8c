/* The kiosk's behaviour: numeric keypads, one send per tap, sound on request, the idle countdown. */
(function () {
  "use strict";
  var body = document.body;

  // Keypads: each button types into the field named by data-keypad-for.
  document.querySelectorAll("[data-keypad-for]").forEach(function (pad) {
    var field = document.getElementById(pad.getAttribute("data-keypad-for"));
    pad.addEventListener("click", function (event) {
      var key = event.target.closest("[data-key]");
      if (!key || !field) return;
      var value = field.value, max = parseInt(field.getAttribute("maxlength") || "32", 10);
      var pressed = key.getAttribute("data-key");
      if (pressed === "back") field.value = value.slice(0, -1);
      else if (pressed === "clear") field.value = "";
      else if (value.length < max) field.value = value + pressed;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // A form marked data-send-once sends once; a second tap does nothing.
  document.querySelectorAll("form[data-send-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    });
  });

  // Sound, for people who listen rather than read: "Listen" reads the screen, holding a choice
  // reads that choice, "Read everything to me" reads each screen as it opens until the session
  // ends (the start screen forgets it). audio.js is fetched the first time sound is wanted.
  var READ_ALL = "kiosk-read-all";
  function withScript(src, then) {
    var script = document.createElement("script");
    script.src = src;
    script.onload = then;
    document.head.appendChild(script);
  }
  function withAudio(then) {
    if (window.kioskAudio) then(window.kioskAudio);
    else withScript(body.getAttribute("data-audio-script"), function () { then(window.kioskAudio); });
  }
  // Saying a complaint aloud: shown where the browser can record; recorder.js comes with the first tap.
  var recorder = document.querySelector("[data-recorder]");
  if (recorder && window.MediaRecorder && navigator.mediaDevices && window.DataTransfer) {
    recorder.hidden = false;
    recorder.querySelector("[data-record]").addEventListener("click", function first() {
      this.removeEventListener("click", first);
      withScript(recorder.getAttribute("data-script"), function () { window.kioskRecorder.record(); });
    });
  }
  function readScreen() { withAudio(function (audio) { audio.readScreen(); }); }
  function readingAll() {
    if (body.hasAttribute("data-read-all-always")) return true;  // a language offered by ear
    try { return sessionStorage.getItem(READ_ALL) === "1"; } catch (e) { return false; }
  }
  if (body.hasAttribute("data-start")) { try { sessionStorage.removeItem(READ_ALL); } catch (e) { /* none kept */ } }
  else if (readingAll()) readScreen();
  document.querySelectorAll("[data-listen]").forEach(function (button) { button.addEventListener("click", readScreen); });
  document.querySelectorAll("[data-read-all]").forEach(function (button) {
    button.addEventListener("click", function () {
      try { sessionStorage.setItem(READ_ALL, "1"); } catch (e) { /* this screen still reads */ }
      readScreen();
    });
  });
  var holdTimer = null, held = false;
  document.addEventListener("pointerdown", function (event) {
    if (window.kioskAudio && !event.target.closest("[data-listen], [data-read-all]")) window.kioskAudio.stop();
    var choice = event.target.closest("a, button, label");
    if (!choice || choice.closest("[data-listen], [data-read-all], .keyboard, [data-keypad-for]")) return;
    held = false;
    holdTimer = setTimeout(function () {
      held = true;
      withAudio(function (audio) { audio.readElement(choice); });
    }, 600);
  }, true);
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    document.addEventListener(name, function () { clearTimeout(holdTimer); }, true);
  });
  document.addEventListener("click", function (event) {  // a hold reads the choice; it does not choose it
    if (held) { held = false; event.preventDefault(); event.stopPropagation(); }
  }, true);

  // Idle countdown: any touch restarts it; near the end a full-screen question
  // asks whether the person is still there; at zero everything is cleared.
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  if (!idle) return;
  var warnAt = Math.min(20, Math.floor(idle / 3));
  var left = idle, lastPing = Date.now(), activeSincePing = false;
  var small = document.querySelector("[data-countdown]");
  var big = document.querySelector("[data-countdown-big]");
  var overlay = document.querySelector("[data-still-there]");

  function stillHere() {
    activeSincePing = false;
    lastPing = Date.now();
    fetch(body.getAttribute("data-still-here-url"), { credentials: "same-origin", cache: "no-store" });
  }
  function activity() {
    left = idle;
    activeSincePing = true;
    if (overlay) overlay.hidden = true;
    // Keep the server-side session alive while someone is typing without sending anything.
    if (Date.now() - lastPing > 20000) stillHere();
  }
  ["pointerdown", "keydown", "input"].forEach(function (name) {
    document.addEventListener(name, activity, true);
  });
  var button = document.querySelector("[data-still-here]");
  if (button) button.addEventListener("click", stillHere);

  setInterval(function () {
    left -= 1;
    if (small) small.textContent = String(Math.max(left, 0));
    if (big) big.textContent = String(Math.max(left, 0));
    if (overlay) {
      var showing = !overlay.hidden;
      overlay.hidden = left > warnAt;
      if (!overlay.hidden && !showing && readingAll()) readScreen();
    }
    if (left <= 0) window.location.replace(body.getAttribute("data-timeout-url"));
  }, 1000);
})();
