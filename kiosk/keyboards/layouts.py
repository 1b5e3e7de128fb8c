"""The on-screen keyboards: one main layout per kiosk language, and the few others it may switch to.

Plain data, sent to static/keyboard.js as JSON in the page. Each language's letters sit on the
first layer (Spanish ñ and á, Turkish ı and ş...); numbers and punctuation are one tap away on
the keyboard's shared symbols page; the layout key cycles only through the language's own list:
its own script and Latin. Key widths follow a grid of half-key columns (see ``grid_width``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from kiosk.core import languages

# How composing layouts turn typed Latin letters into text.
KEYS, PINYIN, PHONETIC = "keys", "pinyin", "phonetic"

# Units are half a letter key wide: shift and backspace are one and a half keys.
LETTER, SIDE_KEY = 2, 3


@dataclass(frozen=True)
class Layout:
    name: str
    label: str                  # on the key that switches to it, in its own script
    lang: str                   # BCP 47 tag for the keys' text (fonts, shaping)
    pages: tuple[tuple[str, ...], ...]  # letter pages, each a tuple of rows of space-separated keys
    punctuation: tuple[str, str] = (",", ".")  # beside the space bar
    digits: str = ""            # native digits, a row above the symbols page
    caseful: bool = False       # has a shift key
    rtl: bool = False
    mode: str = KEYS            # KEYS types letters; PINYIN and PHONETIC compose them first
    table: str = ""             # the generated table a composing layout loads (kiosk/keyboards/build.py)
    page_labels: tuple[str, ...] = field(default=())  # on the key that shows the next letter page

    def rows(self, page: int = 0) -> list[list[str]]:
        return [row.split(" ") for row in self.pages[page]]

    def grid_width(self) -> int:
        """Columns (half-keys) of the widest row: the last letter row carries shift and backspace."""
        widest = 0
        for page in range(len(self.pages)):
            rows = self.rows(page)
            for n, keys in enumerate(rows):
                side = (2 if self.caseful else 1) * SIDE_KEY if n == len(rows) - 1 else 0
                widest = max(widest, len(keys) * LETTER + side)
        return widest

    def as_json(self) -> dict:
        """For keyboard.js: rows as space-separated keys, and only what differs from the defaults
        (it sits in every page with the keyboard)."""
        data = {"name": self.name, "label": self.label, "lang": self.lang, "cols": self.grid_width(),
                "pages": [list(page) for page in self.pages], "punctuation": list(self.punctuation)}
        optional = {"rtl": self.rtl, "caseful": self.caseful, "table": self.table, "digits": self.digits,
                    "pageLabels": list(self.page_labels), "mode": self.mode if self.mode != KEYS else ""}
        data.update({key: value for key, value in optional.items() if value})
        return data


QWERTY = ("q w e r t y u i o p", "a s d f g h j k l", "z x c v b n m")


def latin(name: str, lang: str, rows: tuple[str, ...] = QWERTY, label: str = "ABC",
          punctuation: tuple[str, str] = (",", ".")) -> Layout:
    return Layout(name, label, lang, (rows,), punctuation=punctuation, caseful=True)


LATIN = latin("latin", "en")
LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (
    LATIN,
    latin("spanish", "es", ("á é í ó ú ü", "q w e r t y u i o p", "a s d f g h j k l ñ", "z x c v b n m")),
    latin("portuguese", "pt", ("á à â ã é ê í ó ô õ ú", "q w e r t y u i o p", "a s d f g h j k l ç",
                               "z x c v b n m")),
    latin("haitian", "ht", ("q w e r t y u i o p", "a s d f g h j k l ò", "z x c v b n m è")),
    # AZERTY, as French speakers know it; its accented letters in a row above.
    latin("french", "fr", ("é è ê à â ç ù ô î ë ï œ", "a z e r t y u i o p", "q s d f g h j k l m",
                           "w x c v b n '"), label="AZERTY"),
    latin("romanian", "ro", ("q w e r t y u i o p ă î", "a s d f g h j k l ș ț â", "z x c v b n m")),
    # Turkish Q: dotless ı beside dotted i (shift gives I and İ).
    latin("turkish", "tr", ("q w e r t y u ı o p ğ ü", "a s d f g h j k l ş i", "z x c v b n m ö ç")),
    # A vowel, then its tone: every Vietnamese letter in at most two taps.
    latin("vietnamese", "vi", ("ă â đ ê ô ơ ư \u0300 \u0301 \u0309 \u0303 \u0323", *QWERTY)),
    Layout("russian", "АБВ", "ru", ("й ц у к е н г ш щ з х ъ", "ф ы в а п р о л д ж э", "я ч с м и т ь б ю ё"),
           caseful=True),
    Layout("arabic", "عربي", "ar", (
        ("ض ص ث ق ف غ ع ه خ ح ج د", "ش س ي ب ل ا ت ن م ك ط", "ئ ء ؤ ر لا ى ة و ز ظ ذ", "أ إ آ ؟"),
        ("\u064e \u064f \u0650 \u0651 \u0652 \u064b \u064c \u064d", "پ چ ژ گ ک ی")),
        punctuation=("،", "."), digits="١ ٢ ٣ ٤ ٥ ٦ ٧ ٨ ٩ ٠", rtl=True, page_labels=("َ ُ ِ", "ابت")),
    Layout("devanagari", "देव", "hi", (
        ("क ख ग घ च छ ज झ ट ठ ड", "ढ त थ द ध न प फ ब भ म", "य र ल व श ष स ह ् ं ँ", "ा ि ी ु ू े ै ो ौ ृ"),
        ("अ आ इ ई उ ऊ ऋ ए ऐ ओ औ", "ङ ञ ण ः ़ ऑ ॉ ॅ ॐ ।")),
        punctuation=(",", "।"), digits="१ २ ३ ४ ५ ६ ७ ८ ९ ०", page_labels=("अआइ", "कखग")),
    Layout("gurmukhi", "ਗੁਰ", "pa", (
        ("ਕ ਖ ਗ ਘ ਚ ਛ ਜ ਝ ਟ ਠ ਡ", "ਢ ਣ ਤ ਥ ਦ ਧ ਨ ਪ ਫ ਬ ਭ", "ਮ ਯ ਰ ਲ ਵ ੜ ਸ ਹ ੰ ਂ ੱ", "ਾ ਿ ੀ ੁ ੂ ੇ ੈ ੋ ੌ ੍"),
        ("ਅ ਆ ਇ ਈ ਉ ਊ ਏ ਐ ਓ ਔ", "ੳ ੲ ਙ ਞ ਸ\u0a3c ਖ\u0a3c ਗ\u0a3c ਜ\u0a3c ਫ\u0a3c ਲ\u0a3c \u0a3c")),
        punctuation=(",", "।"), digits="੧ ੨ ੩ ੪ ੫ ੬ ੭ ੮ ੯ ੦", page_labels=("ਅਆਇ", "ਕਖਗ")),
    Layout("bengali", "বাং", "bn", (
        ("ক খ গ ঘ চ ছ জ ঝ ট ঠ ড", "ঢ ত থ দ ধ ন প ফ ব ভ ম", "য র ল শ ষ স হ ড\u09bc য\u09bc ্ ং", "া ি ী ু ূ ৃ ে ৈ ো ৌ"),
        ("অ আ ই ঈ উ ঊ ঋ এ ঐ ও ঔ", "ঙ ঞ ণ ঢ\u09bc ৎ ঁ ঃ ় ।")),
        punctuation=(",", "।"), digits="১ ২ ৩ ৪ ৫ ৬ ৭ ৮ ৯ ০", page_labels=("অআই", "কখগ")),
    # Typed in Latin letters, shown and written in the script (tables: kiosk/keyboards/phonetic.py).
    Layout("hindi-phonetic", "abc→क", "hi", (QWERTY,), caseful=True, mode=PHONETIC,
           table="phonetic-hi.json"),
    Layout("bengali-phonetic", "abc→ক", "bn", (QWERTY,), caseful=True, mode=PHONETIC,
           table="phonetic-bn.json"),
    Layout("punjabi-phonetic", "abc→ਕ", "pa", (QWERTY,), caseful=True, mode=PHONETIC,
           table="phonetic-pa.json"),
    # Toneless pinyin, ü typed as v, candidates from kiosk/keyboards/pinyin.py's dictionary.
    Layout("pinyin", "拼音", "zh-Hans", (QWERTY,), punctuation=("，", "。"), mode=PINYIN,
           table="pinyin-dict.txt"),
)}

# Each language's layouts, its main one first; the layout key cycles through these only.
FOR_LANGUAGE: dict[str, tuple[str, ...]] = {
    "es": ("spanish", "latin"),
    "en": ("latin",),
    "pt": ("portuguese", "latin"),
    "ht": ("haitian", "french"),
    "zh_Hans": ("pinyin", "latin"),
    "pa": ("gurmukhi", "punjabi-phonetic"),
    "hi": ("devanagari", "hindi-phonetic"),
    "bn": ("bengali", "bengali-phonetic"),
    "ar": ("arabic", "latin"),
    "fr": ("french", "latin"),
    "ru": ("russian", "latin"),
    "ro": ("romanian", "latin"),
    "tr": ("turkish", "latin"),
    "vi": ("vietnamese", "latin"),
}
assert set(FOR_LANGUAGE) == set(languages.BY_CODE), "every kiosk language has its keyboards"


def for_language(code: str) -> list[Layout]:
    return [LAYOUTS[name] for name in FOR_LANGUAGE.get(code, FOR_LANGUAGE[languages.DEFAULT])]


def as_json(code: str) -> str:
    """What the page hands keyboard.js: the language's layouts, in order."""
    return json.dumps([layout.as_json() for layout in for_language(code)], ensure_ascii=False,
                      separators=(",", ":"))


def tables() -> set[str]:
    """The generated tables some layout loads."""
    return {layout.table for layout in LAYOUTS.values() if layout.table}
