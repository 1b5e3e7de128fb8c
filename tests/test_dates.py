"""Dates and times read in the person's language: Babel's patterns where CLDR has a good one, the
language's own where it has none or a mixed one, always in the facility's zone, naming it."""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from babel import Locale, dates

from kiosk.core.languages import LANGUAGES
from kiosk.web.i18n import day_in, moment_in
from tests.helpers import file_complaint, filed_case, track, translated

CHICAGO = ZoneInfo("America/Chicago")
MOMENT = datetime(2026, 12, 3, 21, 10, tzinfo=timezone.utc)  # 3:10 pm in Chicago
NNBSP = "\u202f"  # CLDR's narrow no-break space

# (on the kiosk, in a text message) for every language the kiosk speaks.
EXPECTED = {
    "es": ("3 dic 2026, 15:10 (hora central)", "3 dic 2026, 15:10 (hora de Chicago)"),
    "en": (f"Dec 3, 2026, 3:10{NNBSP}PM (Central Time)", f"Dec 3, 2026, 3:10{NNBSP}PM (Chicago Time)"),
    "pt": ("3 de dez. de 2026 15:10 (Horário Central)", "3 de dez. de 2026 15:10 (Horário Chicago)"),
    "ht": ("3 desanm 2026, 15:10 (lè Chicago)", "3 desanm 2026, 15:10 (lè Chicago)"),
    "zh_Hans": ("2026年12月3日 15:10 (北美中部时间)", "2026年12月3日 15:10 (芝加哥时间)"),
    "pa": ("3 ਦਸੰ 2026, ਦੁਪਹਿਰੇ 3:10 (ਉੱਤਰੀ ਅਮਰੀਕੀ ਕੇਂਦਰੀ ਵੇਲਾ)", "3 ਦਸੰ 2026, ਦੁਪਹਿਰੇ 3:10 (ਸ਼ਿਕਾਗੋ ਵੇਲਾ)"),
    "hi": ("3 दिस॰ 2026, दोपहर 3:10 (उत्तरी अमेरिकी केंद्रीय समय)", "3 दिस॰ 2026, दोपहर 3:10 (शिकागो समय)"),
    "bn": ("3 ডিসে, 2026 3:10 দুপুর (কেন্দ্রীয় সময়)", "3 ডিসে, 2026 3:10 দুপুর (শিকাগো সময়)"),
    "ar": ("3 ديسمبر 2026، 3:10 م (التوقيت المركزي لأمريكا الشمالية)", "3 ديسمبر 2026، 3:10 م (توقيت شيكاغو)"),
    "fr": ("3 déc. 2026, 15:10 (heure du centre nord-américain)", "3 déc. 2026, 15:10 (heure : Chicago)"),
    "ru": (f"3 дек. 2026{NNBSP}г., 15:10 (время Чикаго)", f"3 дек. 2026{NNBSP}г., 15:10 (время Чикаго)"),
    "ro": ("3 dec. 2026, 15:10 (Ora centrală nord-americană)", "3 dec. 2026, 15:10 (Ora din Chicago)"),
    "tr": ("3 Ara 2026 15:10 (Kuzey Amerika Merkezi Saati)", "3 Ara 2026 15:10 (Chicago Saati)"),
    "vi": ("15:10 3 thg 12, 2026 (Giờ miền Trung)", "15:10 3 thg 12, 2026 (Giờ Chicago)"),
}
NOT_LATIN = {"zh_Hans", "pa", "hi", "bn", "ar", "ru"}  # a Latin letter in their dates is English showing through
CODES = [language.code for language in LANGUAGES]


def test_every_language_has_its_expected_dates():
    assert sorted(EXPECTED) == sorted(CODES)


@pytest.mark.parametrize("code", CODES)
def test_a_moment_reads_in_the_language_in_the_facilitys_zone_and_names_it(code):
    on_screen, texted = EXPECTED[code]
    assert moment_in(Locale.parse(code), MOMENT, CHICAGO) == on_screen
    assert moment_in(Locale.parse(code), MOMENT, CHICAGO, texted=True) == texted


def letters(text: str) -> set[str]:
    return {ch for ch in text if ch.isalpha()}


def every_hour_of_two_days():
    """Every hour of a winter day and a summer day (standard and daylight time) in Chicago."""
    for start in (datetime(2026, 1, 14, 6, tzinfo=timezone.utc), datetime(2026, 7, 14, 5, tzinfo=timezone.utc)):
        for hour in range(24):
            yield start + timedelta(hours=hour, minutes=7)


@pytest.mark.parametrize("code", sorted(NOT_LATIN))
def test_no_date_mixes_in_latin_letters(code):
    """Punjabi's CLDR short time ends in an English "PM", Hindi's in "pm", Bengali's in "PM": those
    read with their own words for the part of the day."""
    for moment in every_hour_of_two_days():
        for texted in (False, True):
            written = moment_in(Locale.parse(code), moment, CHICAGO, texted=texted)
            latin = [ch for ch in letters(written) if "LATIN" in unicodedata.name(ch)]
            assert latin == [], written


def test_haitian_creole_reads_in_its_own_words_not_in_babels_root_pattern():
    kreyol = Locale.parse("ht")
    months = [day_in(kreyol, datetime(2026, month, 15, 18, tzinfo=timezone.utc), CHICAGO) for month in range(1, 13)]
    assert months[0] == "15 janvye 2026" and months[6] == "15 jiyè 2026" and months[11] == "15 desanm 2026"
    for moment in every_hour_of_two_days():
        written = moment_in(kreyol, moment, CHICAGO)
        assert not re.search(r"\bM\d", written) and written.endswith("(lè Chicago)"), written


@pytest.mark.parametrize("code", CODES)
def test_a_zone_without_a_name_of_its_own_in_cldr_is_named_for_its_time_not_for_a_country(code):
    """Hawaii has no generic name in most of CLDR: Babel would answer "United States (Honolulu) Time";
    its standard time's name is used instead ("Hawaii-Aleutian Standard Time")."""
    honolulu = ZoneInfo("Pacific/Honolulu")
    written = moment_in(Locale.parse(code), MOMENT, honolulu)
    assert "11:10" in written
    if code in ("ht", "ru"):  # these name every zone for its city: "время Гонолулу", Honolulu time
        assert written.endswith({"ht": "(lè Honolulu)", "ru": "(время Гонолулу)"}[code]), written
    else:
        assert dates.get_timezone_location(honolulu, locale=code) not in written, written


@pytest.mark.parametrize("code", CODES)
def test_the_day_alone_is_the_facilitys_day(code):
    late_evening = datetime(2026, 12, 4, 3, 30, tzinfo=timezone.utc)  # still the 3rd in Chicago
    assert day_in(Locale.parse(code), late_evening, CHICAGO) == day_in(Locale.parse(code), MOMENT, CHICAGO)


def test_the_receipt_gives_the_due_date_in_the_facilitys_zone_naming_it(kiosk):
    receipt = file_complaint(kiosk, language="es").get_data(as_text=True)
    assert translated("es", "A case manager will read your complaint by %(date)s.", date="@").split("@")[0] in receipt
    assert "(hora central)" in receipt


def test_the_timeline_on_the_tracking_screen_reads_in_punjabi_naming_the_zone(kiosk, database):
    file_complaint(kiosk, language="pa", a_number=None, pin="13579")
    page = track(kiosk, filed_case(database).number, "13579", language="pa").get_data(as_text=True)
    assert "(ਉੱਤਰੀ ਅਮਰੀਕੀ ਕੇਂਦਰੀ ਵੇਲਾ)" in page
    assert not re.search(r"\d\s?[AaPp][Mm]\b", page)
