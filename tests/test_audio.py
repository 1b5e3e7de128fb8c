"""The kiosk spoken aloud: a clip for every phrase in every language, human recordings that
replace synthetic ones, and uploads that are refused when they are not usable sound."""
from __future__ import annotations

import io
import json
import math
import struct
import wave

import pytest

from kiosk.audio import cache, opus, phrases, recordings
from kiosk.audio.speech import VOICES, Espeak, pinyin_with_tones
from kiosk.config import Config
from kiosk.core.languages import LANGUAGES
from kiosk.core.models import AudioRecording
from tests.helpers import audited, count, signed_in, staff_id, translated


@pytest.fixture(scope="module")
def engine():
    return Espeak()


def wav(seconds: float, rate: int = 16000) -> bytes:
    """A spoken-like tone, as a phone or recorder would save it."""
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 220 * i / rate)))
                      for i in range(int(seconds * rate)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


# --- the synthetic voice ------------------------------------------------------------------

def test_every_phrase_of_every_kiosk_language_has_a_clip_that_plays():
    """What make setup built: each catalog message (cut at its placeholders), the digits and the
    language's own name, in all 14 languages, each a clip that decodes to sound."""
    root = Config.audio_dir
    for language in LANGUAGES:
        index = cache.read_index(root, language.code)
        assert index, f"no audio built for {language.code}: run make setup"
        wanted = {p.key for p in phrases.phrases(language.code)}
        assert wanted <= set(index), (language.code, sorted(wanted - set(index))[:5])
        for key in wanted:
            assert (root / language.code / index[key]).stat().st_size > 200, (language.code, key)
    # Decoding all 3,000 would only repeat one check; a message with a placeholder per language does.
    for language in LANGUAGES:
        message = next(m for m in phrases.messages(language.code) if m.key == phrases.message_key(
            "A case manager will read your complaint by %(date)s."))
        assert "date" in message.parts
        clip = root / language.code / cache.read_index(root, language.code)[message.parts[0].key]
        assert opus.duration(clip.read_bytes()) > 0.5


def test_each_kiosk_language_and_kiche_has_a_voice_that_speaks(engine):
    for code in [language.code for language in LANGUAGES] + ["quc"]:
        assert engine.speak("1 2 3", code).seconds > 0.3, code
    assert set(VOICES) >= {language.code for language in LANGUAGES}


def test_chinese_is_read_as_pinyin_with_tone_digits():
    assert pinyin_with_tones("投诉") == "tou2 su4"
    assert pinyin_with_tones("A-12") == "A-12"


def test_a_phrase_keeps_its_key_in_every_language_and_placeholders_become_slots():
    key = phrases.message_key("Complaint %(number)s has a new status: %(status)s.")
    spanish = next(m for m in phrases.messages("es") if m.key == key)
    english = next(m for m in phrases.messages("en") if m.key == key)
    assert [p if isinstance(p, str) else p.key for p in spanish.parts] == \
           [p if isinstance(p, str) else p.key for p in english.parts]
    assert "number" in spanish.parts and "status" in spanish.parts
    assert {p.key for p in phrases.extras("ar")} >= {"digit.0", "digit.9", "language.name"}


def test_a_build_makes_only_what_changed_and_removes_what_nothing_uses(tmp_path, engine, monkeypatch):
    first = cache.build(tmp_path, engine, "vi")
    assert first.made > 100 and first.removed == 0
    stale = tmp_path / "vi" / ("0" * 24 + ".opus")
    stale.write_bytes(b"old")
    again = cache.build(tmp_path, engine, "vi")
    assert (again.made, again.removed) == (0, 1) and not stale.exists()
    assert json.loads(cache.index_path(tmp_path, "vi").read_text())["engine"].startswith("espeak-ng")


# --- uploads ------------------------------------------------------------------------------

def test_an_upload_is_reencoded_as_opus_and_keeps_its_length():
    clip = opus.from_upload(wav(2.0))
    assert clip.data.startswith(b"OggS") and abs(clip.seconds - 2.0) < 0.05
    assert abs(opus.duration(clip.data) - 2.0) < 0.05


@pytest.mark.parametrize("bad, why", [
    (b"", "empty"),
    (b"%PDF-1.4\n" + b"x" * 5000, "not a sound file"),
    (b"\x00" * 4096, "not a sound file"),
    ("truncated", "cut short"),
    ("too long", "at most 60"),
    ("too big", "larger than 5 MB"),
    ("too short", "shorter than a fifth"),
])
def test_bad_uploads_are_refused_with_a_sentence(bad, why):
    data = {"truncated": lambda: wav(1.0)[:-3000], "too long": lambda: wav(61, rate=8000),
            "too big": lambda: wav(1.0) + b"\0" * (5 * 1024 * 1024), "too short": lambda: wav(0.05)}
    with pytest.raises(opus.AudioError, match=why):
        opus.from_upload(data[bad]() if isinstance(bad, str) else bad)


# --- the administrator's page -------------------------------------------------------------

def _upload(client, language, key, data, filename="phrase.wav"):
    client.get(f"/staff/admin/audio/{language}")  # the page with the form, as a browser would
    return client.post(f"/staff/admin/audio/{language}/{key}",
                       {"recording": (io.BytesIO(data), filename)}, content_type="multipart/form-data",
                       follow_redirects=True)


def _phrase(language, english):
    key = phrases.message_key(english)
    return next(p for p in phrases.phrases(language) if p.key.startswith(key))


def test_a_recording_replaces_the_synthetic_clip_and_survives_a_rebuild(app, ada, database, kiosk, engine):
    phrase = _phrase("es", "Finish")
    page = _upload(ada, "es", phrase.key, wav(1.5))
    assert "Recording saved (version 1, 1.5 s)" in page.get_data(as_text=True)
    played = kiosk.get("/kiosk/static/audio/es.json").get_json()["clips"]
    assert "/r/" in played[phrase.key]
    clip = kiosk.get(played[phrase.key])
    assert clip.mimetype == "audio/ogg" and abs(opus.duration(clip.data) - 1.5) < 0.05
    assert "immutable" in clip.headers["Cache-Control"]
    cache.build(app.config["KIOSK"].audio_dir, engine, "es")  # a catalog change and a new build
    assert kiosk.get("/kiosk/static/audio/es.json").get_json()["clips"][phrase.key] == played[phrase.key]
    [entry] = audited(database, "audio.recorded")
    assert (entry.actor, entry.detail["language"]) == (f"staff:{staff_id(database, 'ada')}", "es")

    coverage = ada.get("/staff/admin/audio").get_data(as_text=True)
    assert "Spanish" in coverage
    with database.sessions() as session:
        es = next(c for c in recordings.coverage(session, app.config["KIOSK"].audio_dir) if c.language == "es")
    assert (es.human, es.missing) == (1, 0) and es.synthetic == es.phrases - 1


def test_a_new_version_wins_and_withdrawing_it_brings_back_the_one_before(ada, database, kiosk):
    phrase = _phrase("ht", "Finish")
    _upload(ada, "ht", phrase.key, wav(1.0))
    _upload(ada, "ht", phrase.key, wav(2.0))
    with database.sessions() as session:
        newest = recordings.current(session, "ht")[phrase.key]
        assert newest.version == 2
    ada.get("/staff/admin/audio/ht")
    page = ada.post(f"/staff/admin/audio/ht/recordings/{newest.id}/withdraw", follow_redirects=True)
    assert "Version 2 withdrawn" in page.get_data(as_text=True)
    with database.sessions() as session:
        assert recordings.current(session, "ht")[phrase.key].version == 1


def test_a_bad_upload_stores_nothing_and_says_why(ada, database):
    phrase = _phrase("ar", "Finish")
    page = _upload(ada, "ar", phrase.key, wav(1.0)[:-2000]).get_data(as_text=True)
    assert "This file is cut short" in page
    page = _upload(ada, "ar", phrase.key, b"GIF89a" + b"\x01" * 300, "photo.gif").get_data(as_text=True)
    assert "This file has no sound in it." in page
    page = _upload(ada, "ar", "nonsense.0", wav(1.0)).get_data(as_text=True)
    assert "There is no such phrase" in page
    page = ada.post(f"/staff/admin/audio/ar/{phrase.key}", {}, content_type="multipart/form-data",
                    follow_redirects=True).get_data(as_text=True)
    assert "The file is empty" in page
    assert count(database, AudioRecording) == 0
    assert ada.get("/staff/admin/audio/xx").status_code == 404
    assert ada.post("/staff/admin/audio/xx/abc.0", {}).status_code == 404


def test_only_administrators_manage_recordings(app, people, database):
    chris = signed_in(app, "chris")
    assert chris.get("/staff/admin/audio").status_code == 403
    assert _upload(chris, "es", _phrase("es", "Finish").key, wav(1.0)).status_code == 403
    assert count(database, AudioRecording) == 0


def test_the_kiosk_serves_clips_only_to_enrolled_kiosks_and_refuses_garbage(app, kiosk, place):
    from tests.helpers import BrowserClient

    listing = kiosk.get("/kiosk/static/audio/bn.json")
    assert listing.status_code == 200 and listing.headers["Cache-Control"].startswith("max-age=300")
    url = listing.get_json()["clips"]["language.name"]
    clip = kiosk.get(url)
    assert clip.status_code == 200 and clip.mimetype == "audio/ogg"
    assert "max-age=31536000" in clip.headers["Cache-Control"]
    assert kiosk.get("/kiosk/static/audio/bn.json", headers={"If-None-Match": listing.headers["ETag"]}).status_code == 304
    for bad in ("/kiosk/static/audio/xx.json", "/kiosk/static/audio/bn/../../app.py",
                "/kiosk/static/audio/bn/" + "g" * 24 + ".opus", "/kiosk/static/audio/bn/r/999-abcdefabcdefabcd.opus",
                "/kiosk/static/audio/bn/r/99999999999999999999999-0.opus"):
        assert kiosk.get(bad).status_code == 404, bad
    stranger = BrowserClient(app.test_client())
    assert stranger.get("/kiosk/static/audio/bn.json").status_code == 403


# --- languages offered by ear -------------------------------------------------------------

def test_a_mayan_language_is_offered_only_once_its_speakers_recorded_every_phrase(app, ada, database, kiosk):
    clip = wav(0.6)  # the same for every phrase: what is checked is the offer, not the sound
    with database.sessions() as session:
        ada_id = staff_id(database, "ada")
        needed = phrases.phrases("quc")
        for phrase in needed[:-1]:
            recordings.add(session, "quc", phrase.key, clip, staff_id=ada_id)
        session.commit()
    assert "K'iche'" not in kiosk.get("/kiosk/").get_data(as_text=True)
    assert kiosk.get("/kiosk/language/quc", follow_redirects=True).request.path == "/kiosk/"  # not yet
    last = _upload(ada, "quc", needed[-1].key, clip)
    assert "Recording saved" in last.get_data(as_text=True)
    assert "offered on the language screen" in ada.get("/staff/admin/audio").get_data(as_text=True)

    start = kiosk.get("/kiosk/").get_data(as_text=True)
    assert 'data-language="quc"' in start and "K&#39;iche&#39;" in start
    home = kiosk.get("/kiosk/language/quc", follow_redirects=True).get_data(as_text=True)
    assert translated("es", "What do you want to do?") in home          # Spanish captions
    assert "data-read-all-always" in home and "/kiosk/static/audio/quc.json" in home  # heard in K'iche'
    clips = kiosk.get("/kiosk/static/audio/quc.json").get_json()["clips"]
    assert all("/quc/r/" in url for url in clips.values()) and len(clips) == len(needed)

    kiosk.get("/kiosk/finish")
    assert "data-read-all-always" not in kiosk.get("/kiosk/language/es", follow_redirects=True).get_data(as_text=True)
