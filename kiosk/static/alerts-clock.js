/* The clock of alerts.js, in a worker: Chromium slows the timers of a tab hidden for five minutes
   to once a minute, but not a worker's, and a console often waits in a background tab. */
onmessage = function (event) {
  setInterval(function () { postMessage("tick"); }, event.data);
};
