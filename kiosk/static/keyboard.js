/* On-screen keyboard for the complaint textarea. No globals except window.KioskKeyboard. */
(function () {
  'use strict';
  // Layout: [name in own script, lang, flags (1 = has case, 2 = rtl), bottom-row punctuation,
  //   native digits, ...pages]. Page: "label|row|row..." with keys separated by spaces.
  var L = {
    latin: ['ABC', 'en', 1, ', .', '',
      'abc|q w e r t y u i o p|a s d f g h j k l|z x c v b n m',
      'àé|á à â ã ă é è ê ë í î|ï ı İ ó ò ô õ ö ơ ú ù|û ü ư ç ñ ÿ œ ğ ș ş ț|đ ¿ ¡ \u0300 \u0301 \u0309 \u0303 \u0323'],
    arabic: ['عربي', 'ar', 2, '، .', '١ ٢ ٣ ٤ ٥ ٦ ٧ ٨ ٩ ٠',
      'ابت|ض ص ث ق ف غ ع ه خ ح ج د|ش س ي ب ل ا ت ن م ك ط|ئ ء ؤ ر لا ى ة و ز ظ ذ|أ إ آ ، ؟',
      'پچژ|پ چ ژ گ ک ی ٹ ڈ ڑ ں ے|ټ ډ ړ ږ ښ ګ ڼ ې ۍ ځ څ|ہ ھ ۀ \u064e \u064f \u0650 \u0651 \u0652 \u064b \u064c \u064d'],
    cyrillic: ['АБВ', 'ru', 1, ', .', '',
      'абв|й ц у к е н г ш щ з х ъ|ф ы в а п р о л д ж э|я ч с м и т ь б ю ё',
      'ґєі|ґ є і ї ў ђ ј љ њ ћ џ|ә ғ қ ң ө ұ ү һ ӣ ӯ'],
    devanagari: ['देव', 'hi', 0, ', ।', '१ २ ३ ४ ५ ६ ७ ८ ९ ०',
      'कखग|क ख ग घ च छ ज झ ट ठ ड|ढ त थ द ध न प फ ब भ म|य र ल व श ष स ह ् ं ँ|ा ि ी ु ू े ै ो ौ ृ',
      'अआइ|अ आ इ ई उ ऊ ऋ ए ऐ ओ औ|ङ ञ ण ः ़ ऑ ॉ ॅ ॐ ।'],
    gurmukhi: ['ਗੁਰ', 'pa', 0, ', ।', '੧ ੨ ੩ ੪ ੫ ੬ ੭ ੮ ੯ ੦',
      'ਕਖਗ|ਕ ਖ ਗ ਘ ਚ ਛ ਜ ਝ ਟ ਠ ਡ|ਢ ਣ ਤ ਥ ਦ ਧ ਨ ਪ ਫ ਬ ਭ|ਮ ਯ ਰ ਲ ਵ ੜ ਸ ਹ ੰ ਂ ੱ|ਾ ਿ ੀ ੁ ੂ ੇ ੈ ੋ ੌ ੍',
      'ਅਆਇ|ਅ ਆ ਇ ਈ ਉ ਊ ਏ ਐ ਓ ਔ|ੳ ੲ ਙ ਞ ਸ\u0a3c ਖ\u0a3c ਗ\u0a3c ਜ\u0a3c ਫ\u0a3c ਲ\u0a3c \u0a3c'],
    bengali: ['বাং', 'bn', 0, ', ।', '১ ২ ৩ ৪ ৫ ৬ ৭ ৮ ৯ ০',
      'কখগ|ক খ গ ঘ চ ছ জ ঝ ট ঠ ড|ঢ ত থ দ ধ ন প ফ ব ভ ম|য র ল শ ষ স হ ড\u09bc য\u09bc ্ ং|া ি ী ু ূ ৃ ে ৈ ো ৌ',
      'অআই|অ আ ই ঈ উ ঊ ঋ এ ঐ ও ঔ|ঙ ঞ ণ ঢ\u09bc ৎ ঁ ঃ ় ।']
  };
  var SYM = '1 2 3 4 5 6 7 8 9 0|. , ? ! \' " - : ; /|( ) ¿ ¡ « » @ & $ % +';
  var NAMES = Object.keys(L);
  // Marks shown on a dotted circle.
  var MARK = /^[\u0300-\u036f\u064b-\u065f\u0670\u0900-\u0903\u093a-\u093c\u093e-\u094f\u0951-\u0957\u0962\u0963\u0981-\u0983\u09bc\u09be-\u09cd\u09d7\u09e2\u09e3\u0a01-\u0a03\u0a3c-\u0a51\u0a70\u0a71\u0a75]/;
  // Latin/Cyrillic/Greek combining marks: backspace removes them together with their base letter.
  var CM = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/;
  var TONES = '\u0300\u0301\u0303\u0309\u0323', TONE = /[\u0300\u0301\u0303\u0309\u0323]/g;

  function cp(s) { return [...s].length; }

  function init() {
    var kb = document.getElementById('keyboard');
    var ta = document.querySelector('textarea[data-keyboard]');
    if (!kb || !ta) return;
    var out = document.getElementById('words-count');
    var max = parseInt(ta.getAttribute('data-max') || ta.getAttribute('maxlength'), 10) || 5000;
    var lay = Math.max(0, NAMES.indexOf(ta.getAttribute('data-keyboard')));
    var page = 0, sym = false, shift = 0, shiftAt = 0, pend = 0, rep = 0;
    var lbl = function (k, d) { return kb.getAttribute('data-label-' + k) || d; };

    function count() {
      var n = cp(ta.value);
      if (out) {
        out.textContent = n + ' / ' + max;
        out.classList.toggle('at-limit', n >= max);
      }
    }
    function changed() { ta.dispatchEvent(new Event('input', { bubbles: true })); }

    // Replace value[from, to) with text; NFC-normalise; refuse growth past max. Returns success.
    function edit(from, to, text) {
      var v = ta.value;
      var a = (v.slice(0, from) + text).normalize('NFC'), b = v.slice(to).normalize('NFC');
      var n = cp(a) + cp(b);
      if (n > max && n > cp(v)) return false;
      ta.value = a + b;
      ta.setSelectionRange(a.length, a.length);
      changed();
      return true;
    }
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
      return edit(s, e, text);
    }
    function upper(k) {
      if (!shift) return k;
      var u = k.toUpperCase();
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
      var d = L[NAMES[lay]], pages = d.slice(5), caseful = d[2] & 1;
      var rows = (sym ? (d[4] ? d[4] + '|' : '') + SYM : pages[page].replace(/^[^|]*\|/, '')).split('|');
      var cols = 0;
      kb.textContent = '';
      kb.dir = d[2] & 2 ? 'rtl' : 'ltr';
      kb.lang = d[1];
      kb.setAttribute('data-layout', NAMES[lay]);
      var digitRows = sym ? (d[4] ? 2 : 1) : 0;
      rows.forEach(function (r, n) {
        var row = document.createElement('div'), keys = r.split(' '), last = n === rows.length - 1;
        row.className = 'kb-row';
        if (n < digitRows) row.dir = 'ltr';
        if (last && caseful && !sym) button(row, '\u21e7', 'sh', 'key-action key-shift', lbl('shift', 'Shift'));
        keys.forEach(function (k) {
          button(row, k, '', /^[\u0300-\u036f]/.test(k) ? 'key-tone' : '').setAttribute('data-k', k);
        });
        if (last) button(row, '\u232b', 'bk', 'key-action', lbl('backspace', 'Backspace'));
        cols = Math.max(cols, row.children.length);
        kb.appendChild(row);
      });
      var bot = document.createElement('div'), p = d[3].split(' ');
      bot.className = 'kb-row kb-bottom';
      button(bot, sym ? pages[0].split('|')[0] : '?123', 'sy', 'key-action', sym ? lbl('letters', '') : lbl('symbols', 'Symbols')).dir = 'ltr';
      if (pages.length > 1 && !sym) button(bot, pages[(page + 1) % pages.length].split('|')[0], 'pg', 'key-action', lbl('more', ''));
      var next = L[NAMES[(lay + 1) % NAMES.length]];
      var ly = button(bot, next[0], 'ly', 'key-action key-layout');
      ly.lang = next[1];
      ly.title = lbl('layouts', '');
      button(bot, p[0], '', '').setAttribute('data-k', p[0]);
      button(bot, lbl('space', 'space'), 'sp', 'key-wide');
      button(bot, p[1], '', '').setAttribute('data-k', p[1]);
      button(bot, '\u23ce', 'en', 'key-action', lbl('enter', 'Enter'));
      kb.appendChild(bot);
      kb.className = kb.className.replace(/\s*kb-c\d+/g, '') + ' kb-c' + Math.min(13, Math.max(9, cols));
      paint();
    }

    function stopRepeat() { clearTimeout(rep); rep = 0; }
    function press(b, ptr) {
      var a = b.getAttribute('data-a'), k = b.getAttribute('data-k');
      if (ptr) ta.focus();
      if (k != null) {
        if (type(upper(k)) && shift === 1) { shift = 0; paint(); }
      } else if (a === 'bk') {
        backspace();
        if (ptr) {
          var go = function () { if (backspace()) rep = setTimeout(go, 80); };
          rep = setTimeout(go, 500);
        }
      } else if (a === 'sp') type(' ');
      else if (a === 'en') type('\n');
      else if (a === 'sh') {
        var now = Date.now();
        shift = shift === 0 ? 1 : shift === 1 && now - shiftAt < 400 ? 2 : 0;
        shiftAt = now;
        paint();
      } else {
        if (a === 'sy') sym = !sym;
        else if (a === 'pg') page = (page + 1) % (L[NAMES[lay]].length - 5);
        else if (a === 'ly') { lay = (lay + 1) % NAMES.length; page = 0; sym = false; shift = 0; }
        render();
        if (!ptr) {
          var again = kb.querySelector('[data-a="' + a + '"]');
          if (again) again.focus();
        }
      }
    }

    // Keys that re-draw the keyboard act on click, not pointerdown: otherwise the
    // click that ends the touch lands on whatever moved under the finger.
    var redraws = function (b) { return /^(sy|pg|ly)$/.test(b.getAttribute('data-a') || ''); };
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
      if (b) press(b, !!e.detail && redraws(b));
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
    if (ta.form) ta.form.addEventListener('reset', function () { setTimeout(count, 0); });
    ta.setSelectionRange(ta.value.length, ta.value.length);
    render();
    count();
  }

  window.KioskKeyboard = Object.freeze({ layouts: NAMES.slice() });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
