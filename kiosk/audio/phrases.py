"""What the kiosk can say, per language: every catalog message, cut at its placeholders.

"A case manager will answer by %(date)s." is two things to hear: the words, and a date filled in
when the page is shown. So a message is a list of parts: phrases (spoken text, each with a clip)
and slots (named values the kiosk speaks from their own clips, the case number digit by digit).
A phrase's key is the message's key and the phrase's place in it, the same in every language, so
an administrator's recording of phrase 0 of a message replaces exactly that phrase.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from babel.messages.pofile import read_po

from kiosk.core.languages import BY_CODE, LANGUAGES, SPOKEN_BY_CODE, SPOKEN_ONLY
from kiosk.web.i18n import CATALOGS_DIR

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_SPEAKABLE = re.compile(r"\w")
DIGITS = "0123456789"


@dataclass(frozen=True)
class Phrase:
    key: str        # "<message key>.<place>", "digit.7", "language.name"
    text: str       # in the language it is spoken in
    english: str    # the whole message in English, for the administrator


@dataclass(frozen=True)
class Message:
    key: str
    parts: tuple    # Phrase | str (a slot's name)


def message_key(msgid: str) -> str:
    """The same for a message in every language, and stable across builds."""
    return hashlib.sha256(msgid.encode("utf-8")).hexdigest()[:12]


def _split(text: str) -> list[str | tuple[str]]:
    """Literal runs of a translation and its placeholders, in order: ["Case ", ("number",), "."]."""
    pieces, at = [], 0
    for match in _PLACEHOLDER.finditer(text):
        pieces.append(text[at:match.start()])
        pieces.append((match.group(1),))
        at = match.end()
    pieces.append(text[at:])
    return pieces


@lru_cache(maxsize=None)
def messages(language: str) -> tuple[Message, ...]:
    """Every message of a language's catalog with its phrases (English: the message itself). A
    language offered by ear has its caption language's messages: what its speakers record is
    what the captions say."""
    if language in SPOKEN_BY_CODE:
        return messages(SPOKEN_BY_CODE[language].caption)
    with open(CATALOGS_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po)
    found = []
    for entry in catalog:
        if not entry.id or not isinstance(entry.id, str):
            continue
        text = entry.string or entry.id
        key = message_key(entry.id)
        parts, place = [], 0
        for piece in _split(text):
            if isinstance(piece, tuple):
                parts.append(piece[0])
            elif _SPEAKABLE.search(piece):
                parts.append(Phrase(f"{key}.{place}", piece.strip(), entry.id))
                place += 1
        found.append(Message(key, tuple(parts)))
    return tuple(found)


def extras(language: str) -> tuple[Phrase, ...]:
    """What is spoken beside the catalog: digits (numbers are read one by one) and the language's
    own name, which the language screen says when touched."""
    named = BY_CODE.get(language) or SPOKEN_BY_CODE[language]
    return (*(Phrase(f"digit.{d}", d, d) for d in DIGITS),
            Phrase("language.name", named.native_name, named.english_name))


def phrases(language: str) -> list[Phrase]:
    """Everything a language needs a clip for, once each."""
    found = {p.key: p for m in messages(language) for p in m.parts if isinstance(p, Phrase)}
    found.update((p.key, p) for p in extras(language))
    return list(found.values())


def kiosk_languages() -> list[str]:
    """The catalog languages: a synthetic voice reads each."""
    return [language.code for language in LANGUAGES]


def spoken_languages() -> list[str]:
    """Every language with audio: the catalog languages and those offered by ear (recordings only)."""
    return kiosk_languages() + [spoken.code for spoken in SPOKEN_ONLY]
