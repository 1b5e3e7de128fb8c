"""Saying a complaint aloud in Chromium with a fake microphone: record, hear it back, send; the case
has the recording, about as long as what was said, and a case manager can play it."""
from __future__ import annotations

import wave

import pytest

from kiosk.audio import opus
from kiosk.core.models import VoiceRecording
from tests.browser import chromium
from tests.helpers import filed_case, register_kiosk, tap_protection_answers, translated
from tests.test_audio import wav

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def microphone_browser(playwright, tmp_path_factory):
    """A second Chromium whose microphone "hears" a tone from a file, and may be used without asking."""
    sound = tmp_path_factory.mktemp("mic") / "voice.wav"
    sound.write_bytes(wav(1.0, rate=48000))
    with wave.open(str(sound)) as check:
        assert check.getnframes() == 48000
    fake_microphone = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                       f"--use-file-for-fake-audio-capture={sound}"]
    with chromium(playwright, fake_microphone, viewport={"width": 1280, "height": 800}) as context:
        yield context


def test_record_play_back_and_send_a_complaint(microphone_browser, live, database):
    page = microphone_browser.new_page()
    page.goto(f"{live.url}/kiosk/enroll/{register_kiosk(database)}")
    page.goto(f"{live.url}/kiosk/language/es")
    page.goto(f"{live.url}/kiosk/file")
    page.locator("form[action$='anonymous'] button, a[href$='anonymous'], button[formaction$='anonymous']").first.click()
    page.wait_for_url("**/file/category")
    page.locator("button.choice[value=food]").click()
    page.locator("button.choice[value=no]").click()
    page.locator("button.choice[value=this_week]").click()
    page.locator("button.choice[value=told_staff]").click()
    for _screen in ("pin", "pin-again"):
        page.wait_for_url(f"**/file/{_screen}")
        for digit in "3719":
            page.locator(f".keypad:visible [data-key='{digit}']").click()
        page.locator("form.keypad-form button[type=submit], main form button.primary").first.click()
    page.wait_for_url("**/file/words")

    page.get_by_role("button", name=translated("es", "Record what happened")).click()
    page.wait_for_function("() => document.querySelector('[data-record-time]').textContent.startsWith('0:02')")
    page.get_by_role("button", name=translated("es", "Stop")).click()
    page.wait_for_function("() => document.querySelector('form[data-recorded]')")
    assert page.locator("[data-playback]").is_visible()  # hear it back before sending
    assert page.get_by_role("button", name=translated("es", "Record again")).is_visible()
    assert not page.get_by_role("button", name=translated("es", "Stop")).is_visible()  # hear it back before sending
    page.locator("form.words-form button[type=submit]").click()
    tap_protection_answers(page)
    assert page.get_by_text(translated("es", "Your recording")).is_visible()
    page.locator("form.send button[type=submit]").click()
    page.wait_for_url("**/receipt")

    case = filed_case(database)
    with database.sessions() as session:
        [recording] = session.query(VoiceRecording).filter_by(case_id=case.id).all()
        assert 1.5 < recording.seconds < 4.0
        assert abs(opus.duration(recording.clip) - recording.seconds) < 0.1
    page.close()
