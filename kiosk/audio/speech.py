"""Text to sound, offline: espeak-ng through the library that `espeakng-loader` ships on PyPI.

One small interface (`Engine.speak`) so that a better voice for a language can replace this one
without the rest of the product noticing. espeak-ng keeps global state, so one lock serialises it.
"""
from __future__ import annotations

import ctypes
import re
import threading
from dataclasses import dataclass
from typing import Protocol

SYNCHRONOUS = 2      # espeak_AUDIO_OUTPUT: samples come to our callback, nothing plays
CHARS_UTF8 = 1       # espeak_Synth flags
SAMPLE_WIDTH = 2     # 16-bit mono


@dataclass(frozen=True)
class Sound:
    """Signed 16-bit mono samples."""
    pcm: bytes
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / SAMPLE_WIDTH / self.rate


class Engine(Protocol):
    name: str      # with its version: a clip is made anew when the engine changes

    def voice(self, language: str) -> str | None: ...

    def speak(self, text: str, language: str) -> Sound: ...


# The espeak-ng voice that reads each kiosk language best. Chinese goes through pinyin with tone
# digits (the `cmn` voice reads tone digits in English); Spanish, Portuguese and English as spoken
# by most people in detention; K'iche' (quc) for the Mayan speakers who listen rather than read.
VOICES = {
    "es": "es-419", "en": "en-us", "pt": "pt-br", "ht": "ht", "zh_Hans": "cmn-latn-pinyin",
    "pa": "pa", "hi": "hi", "bn": "bn", "ar": "ar", "fr": "fr", "ru": "ru", "ro": "ro",
    "tr": "tr", "vi": "vi", "quc": "quc",
}

_HAN = re.compile(r"[\u3400-\u9fff]")


def pinyin_with_tones(text: str) -> str:
    """Chinese characters as pinyin with tone digits (投诉 -> tou2 su4); everything else kept."""
    from pypinyin import Style, lazy_pinyin

    if not _HAN.search(text):
        return text
    return " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))


class Espeak:
    """espeak-ng in this process. Build time only: the web app never synthesises."""

    _lock = threading.Lock()

    def __init__(self):
        import espeakng_loader

        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._lib.espeak_Info.restype = ctypes.c_char_p
        self.rate = self._lib.espeak_Initialize(SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
        if self.rate <= 0:
            raise RuntimeError("espeak-ng did not start")
        version = self._lib.espeak_Info(None).decode("ascii", "replace")
        self.name = f"espeak-ng {version}"
        self._chunks: list[bytes] = []
        callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
        self._callback = callback_type(self._collect)  # kept: espeak holds only a raw pointer to it
        self._lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, samples, count, _events) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(samples, count * SAMPLE_WIDTH))
        return 0

    def voice(self, language: str) -> str | None:
        return VOICES.get(language)

    def speak(self, text: str, language: str) -> Sound:
        voice = self.voice(language)
        if voice is None:
            raise ValueError(f"no voice for {language!r}")
        if language == "zh_Hans":
            text = pinyin_with_tones(text)
        data = text.encode("utf-8") + b"\0"
        with self._lock:
            if self._lib.espeak_SetVoiceByName(voice.encode("ascii")) != 0:
                raise RuntimeError(f"espeak-ng has no voice {voice!r}")
            self._chunks = []
            self._lib.espeak_Synth(data, len(data), 0, 0, 0, CHARS_UTF8, None, None)
            self._lib.espeak_Synchronize()
            return Sound(b"".join(self._chunks), self.rate)
