/* The kiosk's behaviour: numeric keypads, the idle countdown, and one send per tap. */
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
    if (overlay) overlay.hidden = left > warnAt;
    if (left <= 0) window.location.replace(body.getAttribute("data-timeout-url"));
  }, 1000);
})();
