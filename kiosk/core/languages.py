"""The languages the product speaks: which ones, how each is named and written.

The 14 languages of the National Detainee Handbook. Plain data, for every surface and the core;
choosing one for a request is the web plumbing's business (kiosk/web/i18n.py), typing it the
on-screen keyboards' (kiosk/keyboards/layouts.py).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str          # the catalog's locale identifier
    native_name: str   # how speakers name it, in its own script
    english_name: str
    rtl: bool = False

    @property
    def html_lang(self) -> str:
        return self.code.replace("_", "-")


# The 14 languages of the National Detainee Handbook, in the order the kiosk lists them.
LANGUAGES: tuple[Language, ...] = (
    Language("es", "Español", "Spanish"),
    Language("en", "English", "English"),
    Language("pt", "Português", "Portuguese"),
    Language("ht", "Kreyòl ayisyen", "Haitian Creole"),
    Language("zh_Hans", "中文", "Chinese (Simplified)"),
    Language("pa", "ਪੰਜਾਬੀ", "Punjabi"),
    Language("hi", "हिन्दी", "Hindi"),
    Language("bn", "বাংলা", "Bengali"),
    Language("ar", "العربية", "Arabic", rtl=True),
    Language("fr", "Français", "French"),
    Language("ru", "Русский", "Russian"),
    Language("ro", "Română", "Romanian"),
    Language("tr", "Türkçe", "Turkish"),
    Language("vi", "Tiếng Việt", "Vietnamese"),
)
BY_CODE = {language.code: language for language in LANGUAGES}


@dataclass(frozen=True)
class SpokenLanguage:
    """A language offered by ear: its speakers often do not read it, so the screens show pictures
    with captions in ``caption`` (a catalog language) and every word is heard in this language,
    from recordings made by its speakers. Offered only once every phrase has one."""
    code: str
    native_name: str
    english_name: str
    caption: str

    @property
    def html_lang(self) -> str:
        return self.caption  # what is written on its screens is the caption


# Mayan languages of Guatemala spoken in detention (ISO 639-3 codes).
SPOKEN_ONLY: tuple[SpokenLanguage, ...] = (
    SpokenLanguage("quc", "K'iche'", "K'iche'", "es"),
    SpokenLanguage("mam", "Mam", "Mam", "es"),
    SpokenLanguage("kjb", "Q'anjob'al", "Q'anjob'al", "es"),
)
SPOKEN_BY_CODE = {spoken.code: spoken for spoken in SPOKEN_ONLY}
# Every language a person may speak to the product, by code: what interpreters translate from.
NAMED: dict[str, Language | SpokenLanguage] = {**BY_CODE, **SPOKEN_BY_CODE}
DEFAULT = "en"


def language(code: str | None) -> Language:
    """The language for a code; anything unknown falls back to the default."""
    return BY_CODE.get(code or "", BY_CODE[DEFAULT])


def is_supported(code: str | None) -> bool:
    return code in BY_CODE
