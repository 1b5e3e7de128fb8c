"""The Chinese keyboard's dictionary: toneless pinyin to characters and words, most frequent first.

Built at build time (``make setup`` runs kiosk/keyboards/build.py) from pypinyin's readings and
jieba's frequencies (sources and licences: kiosk/keyboards/SOURCES.md); neither is imported at
run time. The output is plain text, one candidate a line, in descending frequency:

    投诉<TAB>tou'su

static/keyboard-compose.js indexes it by the syllables joined (``tousu``) and by their initials (``ts``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

CHARACTERS = 6500      # the commonest characters (GB 2312's level 1 is 3,755)
WORDS = 20000          # and the commonest words of two to four characters
RARER_READING = 1000
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
SYLLABLE = re.compile(r"^[a-z]+$")  # toneless pinyin, ü written v as people type it


def frequencies(lines: Iterable[str]) -> Iterator[tuple[str, int]]:
    """(word, count) from jieba's dictionary lines ("word count part-of-speech")."""
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and HAN.match(parts[0]) and parts[1].isdigit():
            yield parts[0], int(parts[1])


def entries(counts: Iterable[tuple[str, int]], readings_of, reading_of_word,
            characters: int = CHARACTERS, words: int = WORDS) -> list[tuple[str, str]]:
    """(candidate, syllables joined by ') in descending frequency: the commonest ``characters``
    single characters with every reading, and the commonest ``words`` words made of those
    characters with their reading in context. ``readings_of(char)`` and ``reading_of_word(word)``
    return toneless syllables (pypinyin's, in build())."""
    ranked = sorted(((count, word) for word, count in counts), key=lambda item: (-item[0], item[1]))
    chars = [word for _, word in ranked if len(word) == 1][:characters]
    known = set(chars)
    chosen: list[tuple[int, str, str]] = []
    count_of = {word: count for count, word in ranked}
    for char in chars:
        for n, syllable in enumerate(dict.fromkeys(readings_of(char))):
            if SYLLABLE.match(syllable):
                # A character's other readings are rarer: 是 is shi, and ti only far down the list.
                chosen.append((count_of[char] // (1 if n == 0 else RARER_READING), char, syllable))
    taken = 0
    for count, word in ranked:
        if taken >= words:
            break
        if 2 <= len(word) <= 4 and set(word) <= known:
            syllables = reading_of_word(word)
            if len(syllables) == len(word) and all(SYLLABLE.match(s) for s in syllables):
                chosen.append((count, word, "'".join(syllables)))
                taken += 1
    chosen.sort(key=lambda item: -item[0])  # stable: equal counts keep the order above
    return [(word, key) for _, word, key in chosen]


def text(rows: list[tuple[str, str]]) -> str:
    return "".join(f"{word}\t{key}\n" for word, key in rows)


def build() -> str:
    """The dictionary from the installed pypinyin and jieba (the `assets` extra)."""
    import jieba
    from pypinyin import Style, lazy_pinyin, pinyin

    with jieba.get_dict_file() as raw:
        counts = list(frequencies(line.decode("utf-8") for line in raw))
    rows = entries(
        counts,
        readings_of=lambda char: pinyin(char, style=Style.NORMAL, heteronym=True)[0],
        reading_of_word=lambda word: lazy_pinyin(word, style=Style.NORMAL),
    )
    return text(rows)
