/* On-screen keyboard for the complaint textarea. The page language's layouts come in the page
   (#keyboard-layouts, from kiosk/keyboards/layouts.py). Pinyin and phonetic layouts compose:
   keyboard-compose.js (data-compose) handles them, fetched only when one is drawn. */
(function () {
  'use strict';
  var SYM = ['1 2 3 4 5 6 7 8 9 0', '. , ? ! \' " - : ; /', '( ) ¿ ¡ « » @ & $ % +'];
  var LETTER = 2, SIDE = 3;  // key widths in half-key grid columns
  // Marks shown on a dotted circle.
  var MARK = /^[\u0300-\u036f\u064b-\u065f\u0670\u0900-\u0903\u093a-\u093c\u093e-\u094f\u0951-\u0957\u0962\u0963\u0981-\u0983\u09bc\u09be-\u09cd\u09d7\u09e2\u09e3\u0a01-\u0a03\u0a3c-\u0a51\u0a70\u0a71\u0a75]/;
  // Latin/Cyrillic/Greek combining marks: backspace removes them together with their base letter.
  var CM = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/;
  var TONES = '\u0300\u0301\u0303\u0309\u0323', TONE = /[\u0300\u0301\u0303\u0309\u0323]/g;

  function cp(s) { return [...s].length; }

  function init() {
    var kb = document.getElementById('keyboard');
    var ta = document.querySelector('textarea[data-keyboard]');
    var data = document.getElementById('keyboard-layouts');
    if (!kb || !ta || !data) return;
    var layouts = JSON.parse(data.textContent);
    var out = document.getElementById('words-count');
    var max = parseInt(ta.getAttribute('data-max'), 10) || 5000;
    var lay = 0, page = 0, sym = false, shift = 0, shiftAt = 0, pend = 0, rep = 0;
    var composer = null;  // the drawn composing layout's letters and candidates (keyboard-compose.js)
    var lbl = function (k, d) { return kb.getAttribute('data-label-' + k) || d; };
    var layout = function () { return layouts[lay]; };

    function count() {
      var n = cp(ta.value);
      if (out) {
        out.textContent = n + ' / ' + max;
        out.classList.toggle('at-limit', n >= max);
      }
    }
    // The caret stays in sight while typing: the textarea scrolls to it, not the page.
    function reveal() {
      var s = ta.selectionEnd;
      ta.blur(); ta.focus({ preventScroll: true }); ta.setSelectionRange(s, s);
      if (s === ta.value.length) ta.scrollTop = ta.scrollHeight;
    }

    // Replace value[from, to) with text; NFC-normalise; refuse growth past max. Returns success.
    function edit(from, to, text) {
      var v = ta.value;
      var a = (v.slice(0, from) + text).normalize('NFC'), b = v.slice(to).normalize('NFC');
      var n = cp(a) + cp(b);
      if (n > max && n > cp(v)) return false;
      ta.value = a + b;
      ta.setSelectionRange(a.length, a.length);
      ta.dispatchEvent(new Event('input', { bubbles: true }));
      reveal();
      return true;
    }
    function insert(text) { return edit(ta.selectionStart, ta.selectionEnd, text); }
    // Index of the code point before position i.
    function back(v, i) {
      return i - (i > 1 && /[\udc00-\udfff]/.test(v[i - 1]) && /[\ud800-\udbff]/.test(v[i - 2]) ? 2 : 1);
    }
    // Start of the cluster ending at s: one code point, or a base letter plus its combining marks.
    function clusterStart(v, s) {
      var i = back(v, s);
      while (i > 0 && CM.test(v[i])) i = back(v, i);
      return i;
    }
    function backspace() {
      if (composer && composer.typed()) return composer.back();
      var s = ta.selectionStart, e = ta.selectionEnd;
      if (s !== e) return edit(s, e, '');
      return s > 0 && edit(clusterStart(ta.value, s), s, '');
    }
    function type(text) {
      var v = ta.value, s = ta.selectionStart, e = ta.selectionEnd;
      if (text.length === 1 && TONES.indexOf(text) >= 0) {
        // Vietnamese tone: replace any tone already on the previous letter (same tone again removes it).
        if (!s || /\s/.test(v[s - 1])) return false;
        var i = clusterStart(v, s), c = v.slice(i, s).normalize('NFD');
        var had = c.indexOf(text) >= 0;
        c = c.replace(TONE, '');
        return edit(i, e, had ? c : c + text);
      }
      return insert(text);
    }
    // Letters waiting above the keys become text (raw: as the Latin letters typed).
    function commit(raw) { return !composer || composer.commit(raw); }
    function upper(k) {
      if (!shift) return k;
      var u = k.toLocaleUpperCase(layout().lang);
      return cp(u) === 1 ? u : k;
    }

    function button(row, text, act, cls, aria) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'key' + (cls ? ' ' + cls : '');
      b.textContent = text;
      if (act) b.setAttribute('data-a', act);
      if (aria) b.setAttribute('aria-label', aria);
      row.appendChild(b);
      return b;
    }
    // Runs then() once a composing layout's engine (keyboard-compose.js) is here: fetched the first
    // time such a layout is drawn. Without it, a composing layout types plain Latin letters.
    function need(d, then) {
      if (!d.mode || window.KioskCompose) return then();
      var s = document.getElementById('kb-compose');
      if (!s) {
        s = document.createElement('script');
        s.id = 'kb-compose';
        s.src = kb.getAttribute('data-compose');
        document.head.appendChild(s);
      }
      s.addEventListener('load', then);
      s.addEventListener('error', then);
    }
    // Lay a row's keys on the grid: each spans its width, the row centred.
    function place(row, cols) {
      var keys = Array.prototype.slice.call(row.children), widths = keys.map(function (b) {
        return +(b.getAttribute('data-w') || LETTER);
      });
      var used = widths.reduce(function (a, b) { return a + b; }, 0);
      keys.forEach(function (b, n) {
        b.style.gridColumn = (n ? 'auto' : 1 + Math.floor((cols - used) / 2)) + ' / span ' + widths[n];
      });
    }
    function paint() {
      Array.prototype.forEach.call(kb.querySelectorAll('[data-k]'), function (b) {
        var k = upper(b.getAttribute('data-k'));
        b.textContent = MARK.test(k) ? '\u25cc' + k : k;
      });
      var s = kb.querySelector('[data-a="sh"]');
      if (s) {
        s.setAttribute('aria-pressed', shift ? 'true' : 'false');
        s.classList.toggle('key-on', shift > 0);
        s.classList.toggle('key-lock', shift === 2);
      }
    }
    function render() {
      var d = layout(), split = function (r) { return r.split(' '); };
      var rows = (sym ? (d.digits ? [d.digits] : []).concat(SYM) : d.pages[page]).map(split);
      var digitRows = sym ? (d.digits ? 2 : 1) : 0;
      var cols = Math.max(d.cols, 22), all = [];
      kb.textContent = '';
      kb.dir = d.rtl ? 'rtl' : 'ltr';
      kb.lang = d.lang;
      kb.setAttribute('data-layout', d.name);
      if (!d.mode || !window.KioskCompose) composer = null;
      else if (!composer || composer.layout !== d) composer = window.KioskCompose.start(d, { insert: insert, button: button, label: lbl });
      if (composer) kb.appendChild(composer.bar);
      rows.forEach(function (keys, n) {
        var row = document.createElement('div'), last = n === rows.length - 1;
        row.className = 'kb-row';
        if (n < digitRows) row.dir = 'ltr';
        if (last && d.caseful && !sym) button(row, '\u21e7', 'sh', 'key-action key-shift', lbl('shift', 'Shift')).setAttribute('data-w', SIDE);
        keys.forEach(function (k) {
          button(row, k, '', /^[\u0300-\u036f]/.test(k) ? 'key-tone' : '').setAttribute('data-k', k);
        });
        if (last) button(row, '\u232b', 'bk', 'key-action', lbl('backspace', 'Backspace')).setAttribute('data-w', SIDE);
        all.push(row);
      });
      var bot = document.createElement('div'), p = d.punctuation;
      bot.className = 'kb-row kb-bottom';
      var first = d.pages[0][0].split(' ').slice(0, 3).join('');
      button(bot, sym ? first : '?123', 'sy', 'key-action', sym ? lbl('letters', '') : lbl('symbols', 'Symbols')).dir = 'ltr';
      if (d.pages.length > 1 && !sym) button(bot, (d.pageLabels || [])[page] || '…', 'pg', 'key-action', lbl('more', ''));
      if (layouts.length > 1) {
        var next = layouts[(lay + 1) % layouts.length];
        var ly = button(bot, next.label, 'ly', 'key-action key-layout');
        ly.lang = next.lang;
        ly.title = lbl('layouts', '');
        ly.setAttribute('aria-label', lbl('layouts', '') + ': ' + next.label);
      }
      button(bot, p[0], '', '').setAttribute('data-k', p[0]);
      var space = button(bot, lbl('space', 'space'), 'sp', 'key-wide');
      button(bot, p[1], '', '').setAttribute('data-k', p[1]);
      button(bot, '\u23ce', 'en', 'key-action', lbl('enter', 'Enter'));
      Array.prototype.forEach.call(bot.querySelectorAll('.key-action'), function (b) { b.setAttribute('data-w', SIDE); });
      // The space bar takes what is left, up to a quarter of the keyboard.
      var rest = cols - Array.prototype.reduce.call(bot.children, function (a, b) {
        return a + (b === space ? 0 : +(b.getAttribute('data-w') || LETTER));
      }, 0);
      space.setAttribute('data-w', Math.max(LETTER, Math.min(rest, Math.floor(cols / 4))));
      all.push(bot);
      all.forEach(function (row) {
        row.style.gridTemplateColumns = 'repeat(' + cols + ', minmax(0, 1fr))';
        place(row, cols);
        kb.appendChild(row);
      });
      paint();
    }

    function stopRepeat() { clearTimeout(rep); rep = 0; }
    function press(b, ptr) {
      var a = b.getAttribute('data-a'), k = b.getAttribute('data-k');
      if (ptr) ta.focus({ preventScroll: true });
      if (k != null) {
        var letter = upper(k);
        var typed = composer && !sym && /^[a-z]$/i.test(letter) ? composer.add(letter) : commit(false) && type(letter);
        if (typed && shift === 1) { shift = 0; paint(); }
      } else if (a === 'bk') {
        backspace();
        if (ptr) {
          var go = function () { if (backspace()) rep = setTimeout(go, 80); };
          rep = setTimeout(go, 500);
        }
      } else if (a === 'sp' || a === 'en') {
        // A composing layout may take the key (pinyin: space picks the first candidate).
        if (!(composer && composer.end(a === 'sp'))) type(a === 'sp' ? ' ' : '\n');
      } else if (a === 'sh') {
        var now = Date.now();
        shift = shift === 0 ? 1 : shift === 1 && now - shiftAt < 400 ? 2 : 0;
        shiftAt = now;
        paint();
      } else if (composer && composer.press(b)) {
        // a candidate, or a page of them
      } else {
        var to = lay;
        if (a === 'sy') sym = !sym;
        else if (a === 'pg') page = (page + 1) % layout().pages.length;
        else if (a === 'ly') { commit(layout().mode === 'pinyin'); to = (lay + 1) % layouts.length; }
        need(layouts[to], function () {
          if (to !== lay) { lay = to; page = 0; sym = false; shift = 0; }
          render();
          var again = !ptr && kb.querySelector('[data-a="' + a + '"]');
          if (again) again.focus();
        });
      }
    }

    // Keys that re-draw the keyboard act on click, not pointerdown: otherwise the
    // click that ends the touch lands on whatever moved under the finger.
    var redraws = function (b) { return /^(sy|pg|ly|cand|cp|cn)$/.test(b.getAttribute('data-a') || ''); };
    kb.addEventListener('pointerdown', function (e) {
      var b = e.target.closest('.key');
      if (!b || e.button > 0) return;
      e.preventDefault();
      stopRepeat();
      if (redraws(b)) return;
      pend = Date.now();
      press(b, true);
    });
    window.addEventListener('pointerup', function () { stopRepeat(); if (pend) pend = Date.now(); });
    window.addEventListener('pointercancel', stopRepeat);
    kb.addEventListener('click', function (e) {
      var b = e.target.closest('.key');
      // A click that follows a pointerdown we already handled is ignored.
      if (e.detail && pend && Date.now() - pend < 1000) { pend = 0; return; }
      pend = 0;
      if (b && !b.disabled) press(b, !!e.detail && redraws(b));
    });
    kb.addEventListener('contextmenu', function (e) { e.preventDefault(); });

    ta.addEventListener('input', function () {
      var v = ta.value;
      if (cp(v) > max) {
        var s = ta.selectionStart;
        ta.value = [...v].slice(0, max).join('');
        s = Math.min(s, ta.value.length);
        ta.setSelectionRange(s, s);
      }
      count();
    });
    // Letters still waiting above the keys are sent too, as the best candidate.
    if (ta.form) {
      ta.form.addEventListener('submit', function () { commit(false); });
      ta.form.addEventListener('reset', function () { setTimeout(count, 0); });
    }
    ta.setSelectionRange(ta.value.length, ta.value.length);
    need(layout(), render);
    count();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
