"""Complaints said aloud at the kiosk: kept with the case in one transaction, refused when not
usable sound with a sentence in the person's language, gone with the session when never sent,
heard by staff of the case's facility only, every play audited."""
from __future__ import annotations

import io

import pytest

from kiosk.audio import opus
from kiosk.core.models import Case, CaseEvent, EventKind, Interpretation, Translation, VoiceRecording
from tests.helpers import (
    answer_protection, audited, choose_pin, count, create_staff, filed_case, open_message_form, run_worker,
    signed_in, staff_id, start_filing, track, translated,
)
from tests.test_audio import wav
from tests.argos_package import build_package
from tests.test_interpreters import ask, flagged

ANSWERS = {"urgent": "no", "since": "this_week", "raised_with_facility": "not_yet"}


@pytest.fixture(scope="module")
def spanish_package(tmp_path_factory):
    return build_package(tmp_path_factory.mktemp("argos"), "es", "en", version="1.0", seed=1)


def to_words(kiosk, language="es"):
    start_filing(kiosk, language, "201234567", "food")
    for key, value in ANSWERS.items():
        kiosk.post(f"/kiosk/file/question/{key}", {"choice": value})
    choose_pin(kiosk)
    kiosk.get("/kiosk/file/words")


def say(kiosk, data, words="", path="/kiosk/file/words", **fields):
    return kiosk.post(path, {"description": words, "voice": (io.BytesIO(data), "recording.webm"), **fields},
                      content_type="multipart/form-data", follow_redirects=True)


def send(kiosk):
    answer_protection(kiosk)
    return kiosk.post("/kiosk/file/review", {"submission": kiosk.submission_token()}, follow_redirects=True)


def test_a_complaint_said_aloud_is_filed_with_its_recording(kiosk, database):
    to_words(kiosk)
    say(kiosk, wav(3.0))
    review = answer_protection(kiosk)
    assert translated("es", "Your recording") in review.get_data(as_text=True)
    heard = kiosk.get("/kiosk/file/recording.opus")
    assert heard.mimetype == "audio/ogg" and abs(opus.duration(heard.data) - 3.0) < 0.05
    assert "no-store" in heard.headers["Cache-Control"]
    send(kiosk)
    case = filed_case(database)
    with database.sessions() as session:
        [recording] = session.query(VoiceRecording).all()
        assert (recording.case_id, recording.submission_token, recording.event_id) == (case.id, None, None)
        assert abs(recording.seconds - 3.0) < 0.05
    assert case.description == ""
    assert kiosk.get("/kiosk/file/recording.opus").status_code == 404  # the draft is gone with the Send


def test_recording_again_replaces_the_first_and_words_can_go_beside_it(kiosk, database):
    to_words(kiosk)
    say(kiosk, wav(2.0))
    kiosk.get("/kiosk/file/words")
    say(kiosk, wav(4.0), words="La comida llega fría.")
    send(kiosk)
    with database.sessions() as session:
        [recording] = session.query(VoiceRecording).all()
        assert abs(recording.seconds - 4.0) < 0.05
    assert filed_case(database).description == "La comida llega fría."


@pytest.mark.parametrize("bad, message", [
    (b"\x00" * 3000, "Your recording could not be used. Nothing was saved. Please record again."),
    ("truncated", "Your recording could not be used. Nothing was saved. Please record again."),
    (b"\x1aE\xdf\xa3" + b"\xff" * 5000, "Your recording could not be used. Nothing was saved. Please record again."),
    ("too big", "Your recording is too long. You can speak for up to 5 minutes."),
])
def test_a_bad_recording_is_refused_in_the_persons_language_and_the_words_are_kept(kiosk, database, bad, message):
    to_words(kiosk, "pt")
    data = {"truncated": lambda: wav(2.0)[:-5000], "too big": lambda: b"RIFF" + b"\0" * (5 * 1024 * 1024)}
    page = say(kiosk, data[bad]() if isinstance(bad, str) else bad, words="A comida chega fria.")
    assert page.status_code == 200
    assert translated("pt", message) in page.get_data(as_text=True)
    assert count(database, VoiceRecording) == 0
    if bad != "too big":  # a body over the limit cannot be read, words included
        assert "A comida chega fria." in kiosk.get("/kiosk/file/words").get_data(as_text=True)


def test_a_recording_never_sent_leaves_with_the_person(kiosk, database):
    to_words(kiosk)
    say(kiosk, wav(2.0))
    assert count(database, VoiceRecording) == 1
    kiosk.get("/kiosk/finish")
    assert count(database, VoiceRecording) == 0


def test_a_message_said_aloud_from_the_tracking_screen_is_kept_once(kiosk, database):
    to_words(kiosk)
    say(kiosk, b"", words="La comida llega fría.")
    send(kiosk)
    case = filed_case(database)
    track(kiosk, case.number, "3719")
    token = open_message_form(kiosk, case.number)
    for _tap in range(2):  # a double tap
        page = say(kiosk, wav(2.5), path=f"/kiosk/case/{case.number}/message", words="", submission=token)
    assert translated("es", "Your message was sent. A case manager will read it.") in page.get_data(as_text=True)
    with database.sessions() as session:
        [recording] = session.query(VoiceRecording).all()
        event = session.get(CaseEvent, recording.event_id)
        assert (recording.case_id, event.kind, event.body) == (case.id, EventKind.DETAINEE_MESSAGE, "")


def test_staff_of_the_facility_hear_it_and_every_play_is_audited(app, kiosk, database, people):
    to_words(kiosk)
    say(kiosk, wav(2.0))
    send(kiosk)
    case = filed_case(database)
    with database.sessions() as session:
        recording_id = session.query(VoiceRecording.id).scalar()
    chris = signed_in(app, "chris")
    page = chris.get(f"/staff/case/{case.number}").get_data(as_text=True)
    assert "Said aloud" in page and f"/recordings/{recording_id}.opus" in page
    heard = chris.get(f"/staff/case/{case.number}/recordings/{recording_id}.opus")
    assert heard.mimetype == "audio/ogg" and abs(opus.duration(heard.data) - 2.0) < 0.05
    assert [e.detail["recording_id"] for e in audited(database, "voice.played")] == [recording_id]
    dana = signed_in(app, "dana")  # another facility's case manager
    assert dana.get(f"/staff/case/{case.number}/recordings/{recording_id}.opus").status_code == 403
    assert len(audited(database, "voice.refused")) == 1
    assert chris.get(f"/staff/case/{case.number}/recordings/99999999999999999999.opus").status_code == 404
    assert count(database, Case) == 1


# --- what was said aloud goes through the interpreter path --------------------------------

def test_a_case_said_aloud_needs_an_interpreter_until_a_person_says_in_english_what_was_said(
        app, kiosk, database, people):

    create_staff(app, "ivan", "interpreter", ["TST"], display_name="Ivan Interpreter")
    to_words(kiosk)
    say(kiosk, wav(2.0), words="")  # nothing typed: only the recording
    send(kiosk)
    run_worker(app)
    number = filed_case(database).number
    assert flagged(database, number)

    chris = signed_in(app, "chris")
    assert "Interpretation requested for 1 text(s)." in ask(chris, number, to=str(staff_id(database, "ivan")))
    with database.sessions() as session:
        sent = session.query(Interpretation.id).scalar()
        recording_id = session.query(VoiceRecording.id).scalar()
    ivan = signed_in(app, "ivan")
    page = ivan.get(f"/staff/interpretation/{sent}").get_data(as_text=True)
    heard_at = f"/staff/interpretation/{sent}/recordings/{recording_id}.opus"
    assert heard_at in page
    heard = ivan.get(heard_at)
    assert heard.mimetype == "audio/ogg" and abs(opus.duration(heard.data) - 2.0) < 0.05
    assert ivan.get(f"/staff/case/{number}/recordings/{recording_id}.opus").status_code == 403  # not the case page
    assert len(audited(database, "voice.played")) == 1
    ivan.post(f"/staff/interpretation/{sent}/translation", {"text": "The food arrives cold, every day."})
    assert not flagged(database, number)


def test_typed_words_translated_by_the_machine_do_not_clear_what_was_said_aloud(
        app, kiosk, database, people, runner, spanish_package):

    assert runner.invoke(args=["translate", "install", str(spanish_package)]).exit_code == 0
    to_words(kiosk)
    say(kiosk, wav(2.0), words="La comida llega fría.")
    send(kiosk)
    run_worker(app)
    case = filed_case(database)
    with database.sessions() as session:
        assert session.query(Translation).filter_by(case_id=case.id, status="done").count() == 1  # the words: done
    assert flagged(database, case.number)  # what was said has no English yet
