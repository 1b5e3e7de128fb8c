"""Keeping replies within two SMS segments.

Latin-script text is kept in the GSM-7 alphabet (160 characters, 153 per
part when split): accents GSM lacks are dropped, curly quotes and dashes
straightened. Any other script is sent as UCS-2 (70, 67 per part).
"""
from __future__ import annotations

import unicodedata

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")  # each takes two septets
REPLACEMENTS = {
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "‐": "-", "…": "...", "\u00a0": " ", "\u202f": " ", "•": "-",
    "ç": "c", "ı": "i", "İ": "I", "ş": "s", "Ş": "S", "ğ": "g", "Ğ": "G", "đ": "d", "Đ": "D",
    "ș": "s", "Ș": "S", "ț": "t", "Ț": "T", "œ": "oe", "Œ": "OE",
}
TWO_SEGMENTS = {"gsm7": 2 * 153, "ucs2": 2 * 67}


def _to_gsm7(char: str) -> str:
    if char in GSM7_BASIC or char in GSM7_EXTENDED:
        return char
    if char in REPLACEMENTS:
        return REPLACEMENTS[char]
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and all(c in GSM7_BASIC for c in base) else char


def is_latin(text: str) -> bool:
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in text)


def prepare(text: str) -> tuple[str, str]:
    """The text as it will be sent and its encoding: 'gsm7' or 'ucs2'."""
    if is_latin(text):
        converted = "".join(_to_gsm7(ch) for ch in unicodedata.normalize("NFC", text))
        if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in converted):
            return converted, "gsm7"
    return text, "ucs2"


def length(text: str, encoding: str) -> int:
    if encoding == "gsm7":
        return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)  # UTF-16 code units


def segments(text: str, encoding: str) -> int:
    size = length(text, encoding)
    single, part = (160, 153) if encoding == "gsm7" else (70, 67)
    return 1 if size <= single else -(-size // part)


def fits(text: str) -> bool:
    """Whether the text goes out whole in two segments."""
    prepared, encoding = prepare(text)
    return length(prepared, encoding) <= TWO_SEGMENTS[encoding]


def fit(text: str) -> str:
    """The text, in its encoding, cut at a word boundary to fit two segments."""
    prepared, encoding = prepare(text)
    limit = TWO_SEGMENTS[encoding]
    if length(prepared, encoding) <= limit:
        return prepared
    cut = prepared
    while length(cut + "...", encoding) > limit:
        cut = cut[: max(len(cut) - 1, 0)]
    head = cut.rsplit(" ", 1)[0] if " " in cut[-20:] else cut
    return head.rstrip() + "..."
