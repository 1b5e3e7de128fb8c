/* Recording a complaint: a big button, a visible timer, stop, hear it back, record again. The
   recording (Opus, about 24 kbps) goes into the form's file field and is sent with the words.
   Fetched by kiosk.js on the first tap of Record, which it then starts. */
(function () {
  "use strict";
  var box = document.querySelector("[data-recorder]");
  var form = box.closest("form");
  var record = box.querySelector("[data-record]"), stop = box.querySelector("[data-stop]");
  var time = box.querySelector("[data-record-time]"), playback = box.querySelector("[data-playback]");
  var field = box.querySelector("[data-voice-file]");
  var max = parseInt(box.getAttribute("data-max-seconds"), 10) || 300;
  var recorder = null, chunks = [], started = 0, ticker = null;

  function clock(seconds) {
    var s = Math.floor(seconds);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  function tick() {
    var seconds = (Date.now() - started) / 1000;
    time.textContent = clock(seconds) + " / " + clock(max);
    if (seconds >= max) finish();
  }
  function finish() {
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  function start() {
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var type = MediaRecorder.isTypeSupported("audio/webm;codecs=opus") ? "audio/webm;codecs=opus" : "";
      recorder = new MediaRecorder(stream, type ? { mimeType: type, audioBitsPerSecond: 24000 } : {});
      chunks = [];
      recorder.ondataavailable = function (event) { if (event.data.size) chunks.push(event.data); };
      recorder.onstop = function () {
        clearInterval(ticker);
        stream.getTracks().forEach(function (track) { track.stop(); });
        var blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
        var files = new DataTransfer();
        files.items.add(new File([blob], "recording.webm", { type: blob.type }));
        field.files = files.files;
        playback.src = URL.createObjectURL(blob);
        playback.hidden = false;
        record.querySelector("span").textContent = record.getAttribute("data-again");
        var before = box.querySelector("[data-recorded-before]");  // this one replaces it
        if (before) before.hidden = true;
        stop.hidden = true;
        record.hidden = false;
        form.setAttribute("data-recorded", "1");
      };
      recorder.start(1000);
      started = Date.now();
      tick();
      ticker = setInterval(tick, 250);
      record.hidden = true;
      playback.hidden = true;
      stop.hidden = false;
      time.hidden = false;
    }).catch(function () {
      box.setAttribute("data-no-microphone", "1");
      record.disabled = true;
    });
  }
  record.addEventListener("click", start);
  stop.addEventListener("click", finish);
  window.kioskRecorder = { record: start };
})();
