/* The triage queue shows new cases by reloading itself every 30 seconds, but not under the hands of
   someone choosing filters or naming one to save: a reload would throw their choices away. Once a
   form of the page has been touched, the page waits until it is sent. Without JavaScript the
   <noscript> refresh of queue.html reloads it regardless. */
(function () {
  "use strict";
  var RELOAD_EVERY_MS = 30000;
  var touched = false;
  document.addEventListener("input", function () { touched = true; });
  document.addEventListener("change", function () { touched = true; });
  setInterval(function () {
    var active = document.activeElement;
    if (!touched && !(active && active.form)) window.location.reload();
  }, RELOAD_EVERY_MS);
})();
