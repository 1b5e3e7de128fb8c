"""The kiosk heard rather than read, in Chromium: Listen reads the screen, holding a choice reads
it without choosing it, "Read everything to me" lasts until the session ends."""
from __future__ import annotations

import pytest

from kiosk.audio import phrases
from tests.helpers import catalog_text, translated

pytestmark = pytest.mark.browser


def played(page) -> list[str]:
    return page.evaluate("() => window.kioskAudio ? window.kioskAudio.played.slice() : []")


def wait_until_spoken(page, count=1):
    page.wait_for_function("n => window.kioskAudio && window.kioskAudio.played.length >= n", arg=count)
    return played(page)


def clip_of(page, language, english, place=0):
    data = page.evaluate("code => fetch(`/kiosk/static/audio/${code}.json`).then(r => r.json())", language)
    return data["clips"][f"{phrases.message_key(english)}.{place}"]


def test_listen_reads_the_screen_in_order_and_numbers_digit_by_digit(page, live):
    page.get_by_role("link", name="Español").tap()
    page.wait_for_url("**/kiosk/home")
    assert page.evaluate("() => window.kioskAudio === undefined")  # nothing loaded for people who do not listen
    page.get_by_role("button", name=translated("es", "Listen")).tap()
    heard = wait_until_spoken(page, 3)
    assert heard[0] == clip_of(page, "es", "What do you want to do?")
    assert clip_of(page, "es", "Make a complaint") in heard
    assert heard.index(clip_of(page, "es", "Make a complaint")) < heard.index(clip_of(page, "es", "See my complaints"))
    page.wait_for_function("() => document.body.dataset.speaking === '1'")
    # A number in a sentence is read one digit at a time, in the person's language.
    digits = page.evaluate("() => window.kioskAudio.plan('Paso 2 de 5')")
    data = page.evaluate("() => fetch('/kiosk/static/audio/es.json').then(r => r.json())")
    assert digits == [data["clips"][f"{phrases.message_key('Step %(step)d of %(count)d')}.0"],
                      data["clips"]["digit.2"], data["clips"][f"{phrases.message_key('Step %(step)d of %(count)d')}.1"],
                      data["clips"]["digit.5"]]


def test_holding_a_choice_reads_it_and_does_not_choose_it(page, live):
    page.get_by_role("link", name="Français").tap()
    page.wait_for_url("**/kiosk/home")
    choice = page.get_by_role("link", name=translated("fr", "Make a complaint"))
    box = choice.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(900)
    page.mouse.up()
    assert wait_until_spoken(page) == [clip_of(page, "fr", "Make a complaint")]
    assert page.url.endswith("/kiosk/home")  # still here: a hold is not a tap
    choice.tap()
    page.wait_for_url("**/file/**")


def test_read_everything_lasts_until_the_session_ends(page, live):
    page.goto(f"{live.url}/kiosk/")
    page.get_by_role("button", name="Read everything to me").tap()
    names = wait_until_spoken(page, 14)
    data = page.evaluate("() => fetch('/kiosk/static/audio/en.json').then(r => r.json())")
    assert names[:2] == [data["names"]["es"], data["names"]["en"]]  # each language's name in its own voice
    page.get_by_role("link", name="Tiếng Việt").tap()
    page.wait_for_url("**/kiosk/home")
    assert wait_until_spoken(page)[0] == clip_of(page, "vi", "What do you want to do?")  # spoke as it opened
    page.get_by_role("link", name=translated("vi", "Finish")).tap()
    page.wait_for_url("**/kiosk/")
    page.get_by_role("link", name="Español").tap()
    page.wait_for_url("**/kiosk/home")
    page.wait_for_timeout(500)
    assert played(page) == []  # the next person starts in silence


@pytest.mark.parametrize("language, english", [
    ("tr", "Make a complaint"), ("tr", "See my complaints"), ("ro", "Your complaint was sent"),
    ("hi", "Make a complaint"), ("zh_Hans", "See my complaints"),
])
def test_a_sentence_is_read_as_itself_not_as_the_start_of_another(page, live, language, english):
    """Found by bench/listening.py: a text message's "Complaint %(number)s: …" took any sentence
    starting with the word "complaint", and a word's start ("Şikayet" in "Şikayetlerimi")."""
    page.goto(f"{live.url}/kiosk/language/{language}")
    page.get_by_role("button", name=translated(language, "Listen")).tap()
    wait_until_spoken(page)
    spoken = page.evaluate("text => window.kioskAudio.plan(text)", translated(language, english))
    assert spoken == [clip_of(page, language, english)]


def test_a_case_number_is_read_digit_by_digit_through_its_hyphens(page, live):
    page.goto(f"{live.url}/kiosk/language/es")
    page.get_by_role("button", name=translated("es", "Listen")).tap()
    wait_until_spoken(page)
    data = page.evaluate("() => fetch('/kiosk/static/audio/es.json').then(r => r.json())")
    spoken = page.evaluate("() => window.kioskAudio.plan('26-6024-3573')")
    assert spoken == [data["clips"][f"digit.{d}"] for d in "2660243573"]


RETALIATION_WORDS = [
    "May we tell the facility your name when we ask them to fix this?", "If you say no, we will not tell them who you are.",
    "Yes, you may tell them", "No, do not tell them", "Are you afraid that staff will punish you for complaining?",
    "Your answer helps us keep you safe.", "Yes, I am afraid", "Tell the facility my name", "Afraid of punishment",
]


@pytest.mark.parametrize("language", ["es", "ar", "hi", "zh_Hans"])
def test_the_questions_about_retaliation_are_heard_each_as_itself(page, live, language):
    """Their clips were made at setup like every catalog message's; "Yes, I am afraid" is not read as "Yes"."""
    page.goto(f"{live.url}/kiosk/language/{language}")
    page.get_by_role("button", name=translated(language, "Listen")).tap()
    wait_until_spoken(page)
    for english in RETALIATION_WORDS:
        spoken = page.evaluate("text => window.kioskAudio.plan(text)", catalog_text(language, english))
        assert spoken == [clip_of(page, language, english)], english
