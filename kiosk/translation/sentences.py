"""Cutting a text into what the model translates, and putting it back together.

Paragraph breaks and the spaces between sentences are kept exactly. Numbers
that identify someone or something (case numbers, A-numbers, phone numbers)
are never given to the model: they pass through unchanged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sentencex import segment

PARAGRAPH_BREAK = re.compile(r"(\n\s*)")
# A run of digits with separators, optionally '+' or 'A' before it; kept when it holds 6+ digits.
NUMBER_RUN = re.compile(r"(?:\+|\bA ?)?\d(?:[\d\-. ()/]*\d)?")
MIN_PROTECTED_DIGITS = 6

# sentencex knows these by their base language code.
SEGMENTER_LANGUAGE = {"zh_Hans": "zh", "ht": "fr"}


@dataclass(frozen=True)
class Piece:
    text: str
    translate: bool


def _protect(sentence: str) -> list[Piece]:
    pieces, start = [], 0
    for match in NUMBER_RUN.finditer(sentence):
        if sum(ch.isdigit() for ch in match.group()) < MIN_PROTECTED_DIGITS:
            continue
        pieces.append(Piece(sentence[start:match.start()], True))
        pieces.append(Piece(match.group(), False))
        start = match.end()
    pieces.append(Piece(sentence[start:], True))
    return pieces


def _split_space(text: str) -> list[Piece]:
    """Leading and trailing whitespace stay as they are; the model sees the words only."""
    core = text.strip()
    if not core:
        return [Piece(text, False)] if text else []
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    return [p for p in (Piece(lead, False), Piece(core, True), Piece(trail, False)) if p.text]


def pieces(text: str, language: str) -> list[Piece]:
    """The text as pieces to translate (sentences, minus identifiers) and pieces to keep."""
    result = []
    for block in PARAGRAPH_BREAK.split(text):
        if not block:
            continue
        if PARAGRAPH_BREAK.fullmatch(block):
            result.append(Piece(block, False))
            continue
        for sentence in segment(SEGMENTER_LANGUAGE.get(language, language.split("_")[0]), block):
            for part in _protect(sentence):
                result.extend(_split_space(part.text) if part.translate else [part])
    return result


def join(parts: list[Piece], translated: dict[int, str]) -> str:
    """Reassembles in order; ``translated`` maps a piece's index to its translation."""
    return "".join(translated.get(i, piece.text) if piece.translate else piece.text for i, piece in enumerate(parts))
