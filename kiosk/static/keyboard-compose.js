/* Composing layouts (pinyin, phonetic): the Latin letters typed wait above the keys with what they
   may become, until one is chosen. keyboard.js loads this only for a language that has such a
   layout: in the page when it is the language's first layout (Chinese), else when first drawn.
   No globals except window.KioskCompose. */
(function () {
  'use strict';
  var PER_PAGE = 8;  // candidates shown at once
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

  // A composing layout as keyboard.js draws it: kb gives insert(text) (false when the text does
  // not fit), button(row, text, action, class, label) and label(name, fallback).
  function start(layout, kb) {
    var comp = '', cands = [], cpage = 0, engine = null, pinyin = layout.mode === 'pinyin';
    var bar = document.createElement('div');
    bar.className = 'kb-compose';
    bar.dir = 'ltr';

    function set(text) {
      comp = text;
      cpage = 0;
      if (!comp) cands = [];
      else if (pinyin) {
        cands = engine ? engine.lookup(comp.toLowerCase()) : [];
        if (!cands.length || cands[0].used < comp.length) cands.push({ text: comp, used: comp.length });
      } else {
        var made = engine ? engine.convert(comp) : comp;
        cands = [{ text: made, used: comp.length }];
        if (made !== comp) cands.push({ text: comp, used: comp.length });
      }
      draw();
    }
    function choose(c) {
      if (!kb.insert(c.text)) return false;
      set(comp.slice(c.used));
      return true;
    }
    // Everything typed becomes text: the best candidate each time (raw: the Latin letters).
    function commit(raw) {
      while (comp) {
        if (!choose(raw ? { text: comp, used: comp.length } : cands[0])) { set(''); return false; }
      }
      return true;
    }
    function draw() {
      bar.textContent = '';
      var typed = document.createElement('span');
      typed.className = 'kb-typed';
      typed.dir = 'ltr';
      typed.lang = 'en';
      typed.textContent = comp;
      bar.appendChild(typed);
      cands.slice(cpage * PER_PAGE, (cpage + 1) * PER_PAGE).forEach(function (c, i) {
        var b = kb.button(bar, c.text, 'cand', 'kb-cand');
        b.setAttribute('data-i', String(cpage * PER_PAGE + i));
        b.lang = c.text === comp ? 'en' : layout.lang;
      });
      if (cands.length > PER_PAGE) {
        kb.button(bar, '\u25c0', 'cp', 'key-action kb-page', kb.label('previous', 'Previous')).disabled = cpage === 0;
        kb.button(bar, '\u25b6', 'cn', 'key-action kb-page', kb.label('next', 'Next')).disabled = (cpage + 1) * PER_PAGE >= cands.length;
      }
    }
    load(layout).then(function (e) { engine = e; set(comp); });
    draw();

    return {
      layout: layout,
      bar: bar,
      typed: function () { return comp.length > 0; },
      add: function (letter) { set(comp + letter); return true; },
      // Backspace takes a typed letter; true while more remain (the key repeats).
      back: function () { set(comp.slice(0, -1)); return comp.length > 0; },
      commit: commit,
      // Space or enter: pinyin with letters waiting takes the key (space: the first candidate, enter:
      // the Latin letters); otherwise what waits is written first. True: the key is used up.
      end: function (space) {
        if (!pinyin || !comp) return !commit(false);
        if (space) choose(cands[0]);
        else commit(true);
        return true;
      },
      // A candidate, or another page of them.
      press: function (b) {
        var a = b.getAttribute('data-a');
        if (a === 'cand') choose(cands[+b.getAttribute('data-i')]);
        else if (a === 'cp' || a === 'cn') { cpage = Math.max(0, cpage + (a === 'cn' ? 1 : -1)); draw(); }
        else return false;
        return true;
      },
    };
  }

  window.KioskCompose = Object.freeze({ start: start });
})();
