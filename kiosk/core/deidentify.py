"""De-identification: what a text may say once it leaves the ombudsman (a referral packet).

It removes what points at a person: the names on the case (the detainee's and any other given,
whole or any part of two letters or more, in any case, with or without accents: "María" as
"MARIA"); a name the case does not hold but the words name as one, one or two capitalised words
after a title or a role ("Officer Ramírez", "Sgt. Bell", "Nurse Ann Lee", "a guard named Cole":
the people a complaint is most often about, and whom no record lists); e-mail addresses, and every run of four
digits or more however it is split (spaces, dashes, dots, brackets, a leading +): A-numbers with
or without "A", "A#" or "A-", phone numbers in any format, PINs, case numbers. It errs towards
removing: a year or a four-digit count goes too, which a reader of a packet can live without.
Digits in any script count (Arabic-Indic, fullwidth ...), as people type them.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

NAME = "[name]"
NUMBER = "[number]"
EMAIL = "[e-mail]"

# Words that put a person's name after them in the English of a complaint (abbreviations may end in a
# full stop; a whole word may not, or "the nurse. She said" would lose "She").
_TITLE = re.compile(
    r"(?<!\w)(?:(?:officer|deputy|sergeant|lieutenant|captain|warden|guard|nurse|doctor|mister|agent|supervisor"
    r"|counselor|counsellor|chaplain|detainee|cellmate|bunkmate|named)"
    r"|(?:ofc|sgt|lt|capt|cpt|dr|mr|mrs|ms|co|c\.o)\.?)\s+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_SPACE = re.compile(r"\s+")
_EMAIL = re.compile(r"[^\s@<>()\[\]]+@[^\s@<>()\[\]]+")
# An "A" (A#, A-, A:) before the digits is part of an A-number; the digits, four or more with at most
# three separators between any two, are the number.
_DIGITS = re.compile(r"(?:(?<!\w)A\s{0,2}[#\-:.]?\s{0,2})?\+?\(?\d(?:[\s\-./()+]{0,3}\d){3,}\)?", re.IGNORECASE)


def name_parts(names: Iterable[str | None]) -> list[str]:
    """Each name given, whole and in its words of two letters or more, longest first (so the whole
    name goes before its parts)."""
    parts = set()
    for name in names:
        words = " ".join((name or "").split())
        if len(words) >= 2:
            parts.add(words)
        parts.update(word for word in re.split(r"[\s,.;:\-'’\"()]+", words) if len(word) >= 2)
    return sorted(parts, key=lambda part: (-len(part), part))


def _name_end(text: str, start: int) -> int:
    """Where the one or two capitalised words at ``start`` end (``start`` itself: none there)."""
    end = at = start
    for _ in range(2):  # a first name and a surname at most
        word = _WORD.match(text, at)
        if word is None or not word.group()[0].isupper():
            break
        end = word.end()
        space = _SPACE.match(text, end)
        if space is None:
            break
        at = space.end()
    return end


def _titled_names(text: str) -> str:
    """The capitalised words after each title replaced, the title kept: "Officer [name]"; "the
    officer said" has none."""
    kept, position = [], 0
    while (title := _TITLE.search(text, position)) is not None:
        end = _name_end(text, title.end())
        kept.append(text[position:title.end()] + (NAME if end > title.end() else ""))
        position = max(end, title.end())
    kept.append(text[position:])
    return "".join(kept)


def _fold_letter(letter: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", letter) if not unicodedata.combining(c)).lower()
    return base if len(base) == 1 else letter


def fold(text: str) -> str:
    """The text without accents and in lower case, letter for letter (so its length is the text's)."""
    return "".join(_fold_letter(letter) for letter in text)


def scrub(text: str | None, names: Iterable[str | None] = ()) -> str:
    """The text with names, e-mail addresses and long numbers replaced by [name], [e-mail], [number]."""
    text = _titled_names(_EMAIL.sub(EMAIL, text or ""))
    parts = sorted({fold(part) for part in name_parts(names)}, key=lambda part: (-len(part), part))
    if parts:
        pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(part) for part in parts) + r")(?!\w)", re.IGNORECASE)
        # Matched in the folded text, which has the text's length, and replaced in the text as written.
        spans = [match.span() for match in pattern.finditer(fold(text))]
        for start, end in reversed(spans):
            text = text[:start] + NAME + text[end:]
    return _DIGITS.sub(NUMBER, text)


def names_on(case) -> list[str]:
    """The names a case holds: the detainee's as a reporter gave it (the A-number and phones are numbers)."""
    return [name for name in (case.detainee_name,) if name]
