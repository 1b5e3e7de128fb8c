/* The kiosk read aloud. Loaded only when someone asks for sound (kiosk.js), so pages stay light
   for everyone else. The screen's own text is matched against the language's catalog phrases
   (the playlist), so every page can be heard without marking it up: a phrase plays its clip
   (a person's recording where there is one), a number is read digit by digit. */
(function () {
  "use strict";
  var body = document.body;
  var BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  var SENTENCE_END = /[.!?。？！:：]/;
  var playlist = null, loading = null, buckets = null;
  var player = new Audio(), queue = [], trace = [];

  function norm(text) { return text.replace(BIDI, "").replace(/\s+/g, " ").trim(); }
  function escape(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "\\s+"); }

  // Each message becomes a regular expression tried where a word starts: its words literally,
  // each placeholder as the text it was filled with, and (in scripts that put spaces between
  // words) no letter right after it, so "Complaint …" never takes the start of "Complaints".
  // Bucketed by first letter: a screen is matched in a few milliseconds.
  var LETTER = /[\p{L}\p{M}]/u, UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
  function compile(data) {
    buckets = {};
    data.messages.forEach(function (parts) {
      var source = "", last = parts.length - 1, literal = 0, tail = "";
      parts.forEach(function (part, i) {
        if (part.t !== undefined) {
          var words = norm(part.t);
          source += escape(words);
          literal += words.length;
          tail = words.charAt(words.length - 1);
        } else {
          source += i === last ? "(.+)" : "(.+?)";
          tail = "";
        }
        if (i < last) source += "\\s*";
      });
      if (LETTER.test(tail) && !UNSPACED.test(tail)) source += "(?![\\p{L}\\p{M}])";
      var first = parts[0].t !== undefined ? norm(parts[0].t).charAt(0).toLowerCase() : "";
      var entry = { re: new RegExp(source, "iuy"), parts: parts, literal: literal };
      (buckets[first] = buckets[first] || []).push(entry);
    });
  }

  function load() {
    if (playlist) return Promise.resolve(playlist);
    if (!loading) {
      loading = fetch(body.getAttribute("data-playlist"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { playlist = data; compile(data); return data; });
    }
    return loading;
  }

  function clip(key) { return playlist.clips[key]; }

  // The clips that read a text aloud, in order. Where several messages match, the one with the
  // most words of its own wins (not the one whose placeholders swallow the most).
  function better(a, b) {
    return !b || a.entry.literal > b.entry.literal ||
      (a.entry.literal === b.entry.literal && a.match[0].length > b.match[0].length);
  }
  function plan(text, out) {
    text = norm(text);
    var i = 0;
    while (i < text.length) {
      var best = null, candidates = (buckets[text.charAt(i).toLowerCase()] || []).concat(buckets[""] || []);
      for (var c = 0; c < candidates.length; c++) {
        candidates[c].re.lastIndex = i;
        var m = candidates[c].re.exec(text);
        var found = m && { entry: candidates[c], match: m };
        if (found && better(found, best)) best = found;
      }
      if (best) {
        var slot = 1;
        best.entry.parts.forEach(function (part) {
          if (part.t !== undefined) { if (clip(part.k)) out.push(clip(part.k)); }
          else plan(best.match[slot++] || "", out);
        });
        i += best.match[0].length;
        continue;
      }
      var ch = text.charAt(i);
      if (ch >= "0" && ch <= "9") { if (clip("digit." + ch)) out.push(clip("digit." + ch)); i++; continue; }
      // A space, a hyphen in a case number, punctuation; or a character of a script without spaces,
      // where any character may start a phrase.
      if (!LETTER.test(ch) || UNSPACED.test(ch)) { i++; continue; }
      // A word nothing known starts with: skip to its end and try again there.
      while (i < text.length && LETTER.test(text.charAt(i))) i++;
    }
    return out;
  }

  // What a screen says, top to bottom: the outermost readable blocks of <main> and the still-there
  // question when it shows; never the on-screen keyboard's keys.
  var BLOCKS = "h1, h2, h3, p, li, label, legend, button, a, th, td, dt, dd, summary, .say";
  function blocks(root) {
    var found = [];
    root.querySelectorAll(BLOCKS).forEach(function (el) {
      if (el.closest("[data-keyboard-keys], .keyboard, [data-keypad-for], [hidden], .sr-only")) return;
      if (el.parentElement && el.parentElement.closest(BLOCKS)) return;
      found.push(el);
    });
    return found;
  }

  function stop() {
    queue = [];
    player.pause();
    body.removeAttribute("data-speaking");
  }

  function playNext() {
    var url = queue.shift();
    if (!url) { body.removeAttribute("data-speaking"); return; }
    player.src = url;
    trace.push(url);
    player.play().catch(function () { body.removeAttribute("data-speaking"); });
  }
  player.addEventListener("ended", playNext);
  player.addEventListener("error", playNext);
  player.addEventListener("playing", function () { body.setAttribute("data-speaking", "1"); });

  function say(urls) {
    stop();
    queue = urls.slice();
    playNext();
  }

  function readElements(elements) {
    return load().then(function () {
      var urls = [];
      elements.forEach(function (el) {
        var own = el.closest("[lang]");
        var named = el.matches("[data-language]") ? el : el.querySelector("[data-language]");
        var code = named && named.getAttribute("data-language");
        // A language's own name, in its own voice (the language screen).
        if (code && playlist.names[code]) { urls.push(playlist.names[code]); return; }
        if (own && own !== document.documentElement && own.getAttribute("lang") !== document.documentElement.getAttribute("lang")) return;
        plan(el.textContent || "", urls);
      });
      say(urls);
      return urls;
    });
  }

  window.kioskAudio = {
    readScreen: function () {
      var overlay = document.querySelector("[data-still-there]");
      var root = overlay && !overlay.hidden ? overlay : document.querySelector("main");
      return readElements(blocks(root));
    },
    readElement: function (el) { return readElements([el]); },
    stop: stop,
    played: trace,   // what was played on this page, in order (tests and the latency bench read it)
    plan: function (text) { return load().then(function () { return plan(text, []); }); }
  };
})();
