"""Typing in one's own script on the on-screen keyboard, in Debian's Chromium."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.core.models import Case
from kiosk.keyboards import GENERATED
from tests.helpers import tap_protection_answers

pytestmark = pytest.mark.browser


def reach_words(page, live, language):
    """Language, without a name, a plain complaint and a PIN: the words screen."""
    page.goto(f"{live.url}/kiosk/language/{language}")
    page.goto(f"{live.url}/kiosk/file")
    page.locator("form.or button").tap()
    page.locator("button.choice[value=food]").tap()
    for value in ("no", "today", "not_yet"):
        page.locator(f"button.choice[value={value}]").tap()
    for _ in range(2):
        for digit in "3719":
            page.locator(f".keypad [data-key='{digit}']").tap()
        page.locator("form.keypad-form button[type=submit]").tap()
    page.wait_for_url("**/file/words")


def type_letters(page, letters):
    for letter in letters:
        if letter == " ":
            page.locator("#keyboard [data-a='sp']").tap()
        else:
            page.locator(f"#keyboard [data-k='{letter}']").tap()


def candidates(page) -> list[str]:
    return page.locator("#keyboard .kb-cand").all_inner_texts()


@pytest.fixture
def tables():
    if not (GENERATED / "pinyin-dict.txt").is_file():
        pytest.fail("the keyboards' tables are not built: run make setup (make keyboards)")


def test_chinese_typed_in_pinyin_is_filed_in_characters(page, live, database, tables):
    reach_words(page, live, "zh_Hans")
    assert page.locator("#keyboard").get_attribute("data-layout") == "pinyin"
    type_letters(page, "ts")  # initials alone find the word
    page.locator("#keyboard .kb-cand", has_text="投诉").first.wait_for()
    page.locator("#keyboard [data-a='bk']").tap()
    page.locator("#keyboard [data-a='bk']").tap()
    type_letters(page, "tousu")
    assert page.locator("#keyboard .kb-typed").inner_text() == "tousu"
    assert candidates(page)[0] == "投诉"
    page.locator("#keyboard .kb-cand", has_text="投诉").first.tap()
    type_letters(page, "yiliao")
    assert "医疗" in candidates(page)[:3]
    page.locator("#keyboard [data-a='sp']").tap()  # space takes the first candidate
    assert page.locator("#words").input_value() == "投诉医疗"
    assert page.locator("#keyboard .kb-typed").inner_text() == ""
    page.locator("form.words-form button[type=submit]").tap()
    tap_protection_answers(page)
    page.locator("form.send button").tap()
    page.wait_for_url("**/receipt")
    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
    assert "投诉" in case.description and case.language == "zh_Hans"


def test_more_candidates_are_a_page_away(page, live, tables):
    reach_words(page, live, "zh_Hans")
    type_letters(page, "shi")
    first = candidates(page)
    assert len(first) == 8 and "是" in first
    page.locator("#keyboard [data-a='cn']").tap()
    second = candidates(page)
    assert second and not set(second) & set(first)
    page.locator("#keyboard [data-a='cp']").tap()
    assert candidates(page) == first


def test_hindi_typed_in_latin_letters_becomes_devanagari(page, live, tables):
    reach_words(page, live, "hi")
    assert page.locator("#keyboard").get_attribute("data-layout") == "devanagari"
    page.locator("#keyboard [data-a='ly']").tap()
    # The first switch to a phonetic layout fetches its engine (keyboard-compose.js), then draws it.
    page.locator("#keyboard[data-layout='hindi-phonetic']").wait_for()
    type_letters(page, "mera")
    # The Latin letters wait above the keys, shown in the script as they are typed.
    assert page.locator("#keyboard .kb-typed").inner_text() == "mera"
    page.locator("#keyboard .kb-cand", has_text="मेरा").first.wait_for()
    assert page.locator("#words").input_value() == ""
    type_letters(page, " naam")
    assert candidates(page) == ["नाम", "naam"]
    page.locator("#keyboard .kb-cand").first.tap()
    assert page.locator("#words").input_value() == "मेरा नाम"
    # And back to the script's own keys: the layout key cycles through the language's two only.
    page.locator("#keyboard [data-a='ly']").tap()
    assert page.locator("#keyboard").get_attribute("data-layout") == "devanagari"


@pytest.mark.parametrize("language, letters", [
    ("es", "ñáéíóúü"), ("fr", "çéèàù"), ("pt", "ãõçá"), ("ro", "ăâîșț"), ("tr", "çğıiöşü"), ("ht", "èò"),
    ("vi", "ăâđêôơư\u0300\u0301\u0309\u0303\u0323"),
])
def test_each_language_has_its_letters_on_the_first_layer(page, live, language, letters):
    reach_words(page, live, language)
    on_keys = set(page.locator("#keyboard [data-k]").evaluate_all("keys => keys.map(k => k.dataset.k)"))
    assert set(letters) <= on_keys
    keyboard = page.locator("#keyboard").bounding_box()
    for box in [key.bounding_box() for key in page.locator("#keyboard .key").all()]:
        assert box["width"] <= keyboard["width"] / 4
    # Numbers and punctuation are one tap away.
    page.locator("#keyboard [data-a='sy']").tap()
    assert page.locator("#keyboard [data-k='1']").is_visible()


def test_turkish_capitals_keep_their_dots(page, live):
    reach_words(page, live, "tr")
    page.locator("#keyboard [data-a='sh']").tap()
    type_letters(page, "i")
    page.locator("#keyboard [data-a='sh']").tap()
    type_letters(page, "ı")
    assert page.locator("#words").input_value() == "İI"
