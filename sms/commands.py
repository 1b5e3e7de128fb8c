"""What a text message asks for: a command word in any of the 14 languages, then arguments.

Matching ignores case, accents, extra spaces and punctuation. The command word
also tells which language the sender wrote in, so the answer can come back in it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Each command's words, by language. The first language listed for a word wins when
# several share it (STATUS is English and Portuguese alike).
WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "STATUS": {
        "en": ("STATUS",), "es": ("ESTADO",), "pt": ("STATUS", "SITUACAO"), "fr": ("STATUT",),
        "ht": ("ESTATI", "STATI"), "ar": ("حالة", "الحالة"), "bn": ("অবস্থা",), "hi": ("स्थिति",),
        "pa": ("ਸਥਿਤੀ",), "ro": ("STARE",), "ru": ("СТАТУС",), "zh_Hans": ("状态", "狀態"),
        "tr": ("DURUM",), "vi": ("TRANGTHAI",),
    },
    "FOLLOW": {
        "en": ("FOLLOW",), "es": ("SEGUIR",), "pt": ("ACOMPANHAR",), "fr": ("SUIVRE",), "ht": ("SWIV",),
        "ar": ("متابعة", "تابع"), "bn": ("অনুসরণ",), "hi": ("अनुसरण",), "pa": ("ਫਾਲੋ",), "ro": ("URMARESTE",),
        "ru": ("СЛЕДИТЬ",), "zh_Hans": ("关注", "關注"), "tr": ("TAKIP",), "vi": ("THEODOI",),
    },
    "UNFOLLOW": {
        "en": ("UNFOLLOW",), "es": ("DEJAR",), "pt": ("DEIXAR",), "fr": ("NEPLUSSUIVRE",), "ht": ("PASWIV",),
        "ar": ("الغاء",), "bn": ("বাতিল",), "hi": ("अनफॉलो",), "pa": ("ਅਨਫਾਲੋ",), "ro": ("NUURMARI",),
        "ru": ("ОТПИСАТЬСЯ",), "zh_Hans": ("取消关注", "取消關注"), "tr": ("TAKIPBIRAK",), "vi": ("BOTHEODOI",),
    },
    "LANG": {
        "en": ("LANG", "LANGUAGE"), "es": ("IDIOMA",), "pt": ("IDIOMA", "LINGUA"), "fr": ("LANGUE",),
        "ht": ("LANG",), "ar": ("لغة", "اللغة"), "bn": ("ভাষা",), "hi": ("भाषा",), "pa": ("ਭਾਸ਼ਾ",),
        "ro": ("LIMBA",), "ru": ("ЯЗЫК",), "zh_Hans": ("语言", "語言"), "tr": ("DIL",), "vi": ("NGONNGU",),
    },
    "NEW": {
        "en": ("NEW",), "es": ("NUEVO",), "pt": ("NOVO",), "fr": ("NOUVEAU",), "ht": ("NOUVO",),
        "ar": ("جديد",), "bn": ("নতুন",), "hi": ("नया",), "pa": ("ਨਵਾਂ",), "ro": ("NOU",), "ru": ("НОВЫЙ",),
        "zh_Hans": ("新", "新建"), "tr": ("YENI",), "vi": ("MOI",),
    },
    "DONE": {
        "en": ("DONE",), "es": ("LISTO",), "pt": ("PRONTO",), "fr": ("FINI",), "ht": ("FINI",), "ar": ("تم",),
        "bn": ("শেষ",), "hi": ("पूरा",), "pa": ("ਪੂਰਾ",), "ro": ("GATA",), "ru": ("ГОТОВО",), "zh_Hans": ("完成",),
        "tr": ("TAMAM",), "vi": ("XONG",),
    },
    "CANCEL": {
        "en": ("CANCEL",), "es": ("CANCELAR",), "pt": ("CANCELAR",), "fr": ("ANNULER",), "ht": ("ANILE",),
        "ar": ("إنهاء",), "bn": ("বাতিলকরুন",), "hi": ("रद्द",), "pa": ("ਰੱਦ",), "ro": ("ANULEAZA",),
        "ru": ("ОТМЕНА",), "zh_Hans": ("取消",), "tr": ("IPTAL",), "vi": ("HUY",),
    },
    "HELP": {
        "en": ("HELP", "INFO"), "es": ("AYUDA",), "pt": ("AJUDA",), "fr": ("AIDE",), "ht": ("EDE",),
        "ar": ("مساعدة",), "bn": ("সাহায্য",), "hi": ("मदद",), "pa": ("ਮਦਦ",), "ro": ("AJUTOR",),
        "ru": ("ПОМОЩЬ",), "zh_Hans": ("帮助", "幫助"), "tr": ("YARDIM",), "vi": ("TROGIUP",),
    },
}


def word_for(command: str, language: str | None) -> str:
    """The word a person who speaks ``language`` texts for ``command`` (ESTADO, STATUT, حالة ...)."""
    by_language = WORDS[command]
    return (by_language.get(language or "") or by_language["en"])[0]


# Carriers' and Twilio's own opt-out and opt-in words; honoured in any language.
OPT_OUT = ("STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "PARAR", "ARRET", "ARRETER")
OPT_IN = ("START", "UNSTOP", "YES")


# Answers to a yes-or-no question of a report (NEW), by language; 1 and 2 work in every language.
# Twilio itself answers YES as an opt-in word, so the questions ask for 1 or 2.
YES_NO_WORDS: dict[bool, dict[str, tuple[str, ...]]] = {
    True: {
        "en": ("YES", "Y"), "es": ("SI",), "pt": ("SIM",), "fr": ("OUI",), "ht": ("WI",), "ar": ("نعم",),
        "bn": ("হ্যাঁ", "হা"), "hi": ("हाँ", "हां", "हा"), "pa": ("ਹਾਂ", "ਹਾਂਜੀ"), "ro": ("DA",), "ru": ("ДА",),
        "zh_Hans": ("是", "是的", "对"), "tr": ("EVET",), "vi": ("CO",),
    },
    False: {
        "en": ("NO", "N"), "es": ("NO",), "pt": ("NAO",), "fr": ("NON",), "ht": ("NON",), "ar": ("لا",),
        "bn": ("না",), "hi": ("नहीं", "नही"), "pa": ("ਨਹੀਂ", "ਨਹੀ"), "ro": ("NU",), "ru": ("НЕТ",),
        "zh_Hans": ("不", "否", "不是"), "tr": ("HAYIR",), "vi": ("KHONG",),
    },
}


def normalize(text: str) -> str:
    """Upper case, no accents or Arabic vowel marks, one form of alef and taa marbuta."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.translate(str.maketrans({"ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ـ": None}))
    return unicodedata.normalize("NFC", stripped).upper()


_LOOKUP: dict[str, tuple[str, str]] = {}
for _command, _by_language in WORDS.items():
    for _language, _words in _by_language.items():
        for _word in _words:
            _LOOKUP.setdefault(normalize(_word), (_command, _language))
for _word in OPT_OUT:
    _LOOKUP.setdefault(_word, ("STOP", None))
for _word in OPT_IN:
    _LOOKUP.setdefault(_word, ("START", None))
_YES_NO = {"1": True, "2": False} | {normalize(word): answer for answer, by_language in YES_NO_WORDS.items()
                                     for words in by_language.values() for word in words}
# Words written without spaces in their script are also recognised glued to what follows.
_GLUED = sorted((w for w in _LOOKUP if not w.isascii() and not w.isalpha() or re.match(r"^[\u4e00-\u9fff]", w)),
                key=len, reverse=True)

def _is_kept(ch: str) -> bool:
    # Letters, marks (Indic vowel signs are marks, not "word" characters to re's \w) and digits.
    return unicodedata.category(ch)[0] in "LMN" or ch in "+-"


def _words(text: str) -> list[str]:
    return "".join(ch if _is_kept(ch) else " " for ch in text).split()


@dataclass(frozen=True)
class Command:
    name: str               # STATUS, FOLLOW, ..., or UNKNOWN
    language: str | None    # the language of the command word, when it tells
    arguments: str          # the rest of the message, as sent


def parse(body: str | None) -> Command:
    text = (body or "").strip()
    normalized = normalize(text)
    words = _words(normalized)
    if not words:
        return Command("UNKNOWN", None, "")
    first = words[0]
    # Multi-word forms some people type: "TRANG THAI", "THEO DOI", "DEJAR DE SEGUIR".
    for joined in (first + "".join(words[1:3]), first + "".join(words[1:2])):
        if joined in _LOOKUP and joined != first and first not in _LOOKUP:
            first = joined
            break
    if first in _LOOKUP:
        name, language = _LOOKUP[first]
        return Command(name, language, _rest(text, normalized, first))
    glued = " ".join(words)
    for word in _GLUED:
        if glued.startswith(word):
            name, language = _LOOKUP[word]
            return Command(name, language, glued[len(word):].strip())
    return Command("UNKNOWN", None, text)


def _rest(text: str, normalized: str, word: str) -> str:
    """The arguments after the command word (however it was spaced), as the sender wrote them."""
    compact = re.sub(r"\s+", "", word)
    consumed, index = "", 0
    for index, ch in enumerate(normalized):
        if _is_kept(ch):
            consumed += ch
        if consumed == compact:
            return text[index + 1:].strip(" \t\n.,:;!?¡¿-")
    return ""


def case_and_code(arguments: str) -> tuple[str | None, str | None]:
    """The case number's ten digits and the share code's eight, however they were spaced."""
    digits = "".join(ch for ch in normalize(arguments) if ch.isascii() and ch.isdigit())
    if len(digits) == 10:
        return digits, None
    if len(digits) == 18:
        return digits[:10], digits[10:]
    return (digits or None), None


def yes_or_no(body: str | None) -> bool | None:
    """A reply to a yes-or-no question: 1 or a yes word is True, 2 or a no word False. Only a reply
    that is that one word counts ("no se", "yes but" are not answers); anything else is None."""
    words = _words(normalize(body or ""))
    if len(words) != 1:
        return None
    return _YES_NO.get(words[0])
