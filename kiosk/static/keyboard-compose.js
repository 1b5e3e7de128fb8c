/* The composing layouts' engines, loaded only on pages whose language has one (zh, hi, bn, pa).
   No globals except window.KioskCompose. */
(function () {
  'use strict';
  var tables = {};  // table address -> Promise of its engine, loaded once per page

  // Pinyin: the dictionary's lines "word<TAB>syl'la'bles" come most frequent first, so a
  // word's line number is its rank. Indexed by the syllables joined and by their initials.
  function Pinyin(text) {
    var words = [], exact = new Map(), initials = new Map();
    text.split('\n').forEach(function (line) {
      var tab = line.indexOf('\t');
      if (tab < 1) return;
      var key = line.slice(tab + 1), rank = words.push(line.slice(0, tab)) - 1, full = key.replace(/'/g, '');
      if (!exact.has(full)) exact.set(full, []);
      exact.get(full).push(rank);
      // Initials: of a word's syllables (ts: tou'su), and a character's first letter (t).
      var ini = key.indexOf("'") > 0 ? key.split("'").map(function (s) { return s[0]; }).join('') : key[0];
      if (!initials.has(ini)) initials.set(ini, []);
      initials.get(ini).push(rank);
    });
    var keys = Array.from(exact.keys()).sort();
    function startingWith(s) {  // ranks of every entry whose syllables begin with s, best first
      var lo = 0, hi = keys.length, found = [];
      while (lo < hi) { var mid = (lo + hi) >> 1; if (keys[mid] < s) lo = mid + 1; else hi = mid; }
      for (var i = lo; i < keys.length && keys[i].lastIndexOf(s, 0) === 0 && found.length < 400; i++) {
        if (keys[i] !== s) found.push.apply(found, exact.get(keys[i]));
      }
      return found.sort(function (a, b) { return a - b; });
    }
    // Candidates for the typed letters, each with how many letters it uses up: whole-input
    // matches (exact, initials, then longer words), then characters for its first syllables.
    this.lookup = function (s) {
      var out = [], seen = new Set();
      function add(ranks, used) {
        (ranks || []).forEach(function (r) {
          if (!seen.has(words[r])) { seen.add(words[r]); out.push({ text: words[r], used: used }); }
        });
      }
      add(exact.get(s), s.length);
      add(initials.get(s), s.length);
      if (s.length > 1) add(startingWith(s).slice(0, 40), s.length);
      for (var n = Math.min(6, s.length - 1); n > 0; n--) add(exact.get(s.slice(0, n)), n);
      return out;
    };
  }

  // Phonetic: kiosk/keyboards/phonetic.py states the rules; tokens are matched longest first.
  function Phonetic(t) {
    var longest = Math.max.apply(null, Object.keys(t.tokens).map(function (k) { return k.length; }));
    this.convert = function (word) {
      var out = '', afterConsonant = false, i = 0;
      while (i < word.length) {
        var n = Math.min(longest, word.length - i), tok = null;
        for (; n > 0 && !(tok = t.tokens[word.substr(i, n)]); n--);
        if (!tok) { out += word[i]; afterConsonant = false; i++; continue; }
        var latin = word.substr(i, n);
        i += n;
        if (tok[0] === 'v') {
          if (!afterConsonant) out += tok[1];
          else if (latin === 'a') out += i === word.length ? t.longA : '';
          else out += tok[2];
          afterConsonant = false;
        } else if (tok[0] === 'c') {
          if (afterConsonant) out += t.virama;
          out += tok[1];
          afterConsonant = true;
        } else {
          out += tok[1];
          afterConsonant = false;
        }
      }
      return out;
    };
  }

  function load(layout) {
    if (!tables[layout.table]) {
      tables[layout.table] = fetch(layout.table, { credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return layout.mode === 'pinyin' ? r.text().then(function (t) { return new Pinyin(t); })
          : r.json().then(function (t) { return new Phonetic(t); });
      }).catch(function () { return null; });  // without its table a layout types Latin letters
    }
    return tables[layout.table];
  }

  window.KioskCompose = Object.freeze({ load: load, Pinyin: Pinyin, Phonetic: Phonetic });
})();
