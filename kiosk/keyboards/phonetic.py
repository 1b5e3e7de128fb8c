"""Phonetic typing of Hindi, Bengali and Punjabi: Latin letters to the script, as people type them.

The tokens come from indic-transliteration's OPTITRANS scheme (MIT; kiosk/keyboards/SOURCES.md),
read at build time into one small JSON table per language; static/keyboard-compose.js converts a word
with it, longest token first. The rules it applies, stated here once:
  - a consonant followed by a consonant takes the virama (the two join);
  - ``a`` after a consonant is the inherent vowel, except at the end of a word, where people
    type it for the long vowel (``mera`` is मेरा): Hindi and Punjabi drop a final inherent vowel;
  - a consonant at the end of a word keeps its inherent vowel silent (``naam`` is नाम).
"""
from __future__ import annotations

# Casual spellings everyone uses that the scheme lacks: "oo" for the long u (as in "noor").
CASUAL = {"oo": "U"}
SCRIPTS = {"hi": "DEVANAGARI", "bn": "BENGALI", "pa": "GURMUKHI"}


def table(scheme, convert) -> dict:
    """{"tokens": {latin: [kind, letter, vowel mark]}, "virama", "longA"} for one script.
    ``scheme`` is OPTITRANS's mapping from Devanagari to Latin (groups of dicts), ``convert``
    turns Devanagari into the target script."""
    tokens: dict[str, list[str]] = {}

    def add(latin: str, kind: str, letter: str, mark: str = "") -> None:
        if latin and latin not in tokens:
            tokens[latin] = [kind, convert(letter), convert(mark) if mark else ""]

    marks = {latin: mark for mark, latin in scheme["vowel_marks"].items()}
    for group, kind in (("vowels", "v"), ("consonants", "c"), ("extra_consonants", "c"),
                        ("yogavaahas", "o"), ("symbols", "o")):
        for letter, latin in scheme[group].items():
            add(latin, kind, letter, marks.get(latin, ""))
    for main, others in scheme["alternates"].items():
        for other in others:
            if main in tokens:
                tokens.setdefault(other, tokens[main])
    for casual, main in CASUAL.items():
        if main in tokens:
            tokens.setdefault(casual, tokens[main])
    # Digits stay Latin: people type them so, and the symbols page has the native ones.
    tokens = {latin: value for latin, value in tokens.items() if not latin.isdigit() and latin not in (".", "..", "|", "||")}
    virama = next(iter(scheme["virama"]))
    return {"tokens": tokens, "virama": convert(virama), "longA": tokens["A"][2]}


def build() -> dict[str, dict]:
    """One table per language, from the installed indic-transliteration (the `assets` extra)."""
    from indic_transliteration import sanscript

    scheme = sanscript.SCHEMES[sanscript.OPTITRANS]
    built = {}
    for code, script in SCRIPTS.items():
        target = getattr(sanscript, script)
        built[code] = table(scheme, lambda text, target=target: sanscript.transliterate(text, sanscript.DEVANAGARI, target))
    return built
