"""The administrator's page for the kiosk's sound: per language, how many phrases have a human
recording, only the synthetic voice, or nothing; listening to each; uploading a recording that
replaces the synthetic clip; withdrawing one. Every change is audited."""
from __future__ import annotations

from flask import (
    abort, current_app, flash, g, make_response, redirect, render_template, request, send_from_directory, url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from kiosk.audio import cache, opus, phrases, recordings
from kiosk.core import audit
from kiosk.core.languages import NAMED, SPOKEN_BY_CODE
from kiosk.core.models import AudioRecording
from kiosk.staff import blueprint
from kiosk.staff.admin import administrator_only
from kiosk.staff.changes import actor, save
from kiosk.web.db import get_session
from kiosk.web.security import csrf


def _root():
    return current_app.config["KIOSK"].audio_dir


def _language(code: str) -> str:
    if code not in phrases.spoken_languages():
        abort(404)
    return code


@blueprint.get("/admin/audio")
@administrator_only
def audio_coverage():
    return render_template("staff/admin_audio.html", coverage=recordings.coverage(get_session(), _root()),
                           languages=NAMED, spoken_only=SPOKEN_BY_CODE)


@blueprint.get("/admin/audio/<language>")
@administrator_only
def audio_language(language: str):
    language = _language(language)
    db = get_session()
    synthetic = cache.read_index(_root(), language)
    return render_template("staff/admin_audio_language.html", language=NAMED[language],
                           phrases=phrases.phrases(language), human=recordings.current(db, language),
                           synthetic=synthetic, limit_mb=opus.MAX_UPLOAD_BYTES // (1024 * 1024),
                           max_seconds=int(opus.MAX_RECORDING_SECONDS))


@blueprint.get("/admin/audio/<language>/<phrase_key>.opus")
@administrator_only
def audio_listen(language: str, phrase_key: str):
    """A phrase as the kiosk plays it now, or one recording (?recording=ID) to compare."""
    language = _language(language)
    recording_id = request.args.get("recording", type=int)
    if recording_id is not None:
        recording = get_session().get(AudioRecording, recording_id)
        if recording is None or (recording.language, recording.phrase_key) != (language, phrase_key):
            abort(404)
        response = make_response(recording.clip)
        response.mimetype = "audio/ogg"
        return response
    name = cache.read_index(_root(), language).get(phrase_key)
    if name is None:
        abort(404)
    return send_from_directory(_root() / language, name, mimetype="audio/ogg")


@csrf.exempt  # checked below: the app-wide check would read the body under the app's 256 KB limit
@blueprint.post("/admin/audio/<language>/<phrase_key>")
@administrator_only
def audio_upload(language: str, phrase_key: str):
    language = _language(language)
    back = url_for("staff.audio_language", language=language) + f"#p-{phrase_key}"
    request.max_content_length = opus.MAX_UPLOAD_BYTES + 64 * 1024
    try:
        csrf.protect()
        upload = request.files.get("recording")
        data = upload.read() if upload is not None else b""
    except RequestEntityTooLarge:
        flash(f"That file is larger than {opus.MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Nothing was saved.", "error")
        return redirect(back)

    def record(db):
        recording = recordings.add(db, language, phrase_key, data, staff_id=g.staff.id)
        db.flush()
        audit.record(db, actor(), "audio.recorded", remote_addr=request.remote_addr, language=language,
                     phrase=phrase_key, version=recording.version, seconds=round(recording.seconds, 1))
        return recording

    return save(record, lambda r: f"Recording saved (version {r.version}, {r.seconds:.1f} s). "
                                  "Kiosks play it within five minutes.", back)


@blueprint.post("/admin/audio/<language>/recordings/<id:recording_id>/withdraw")
@administrator_only
def audio_withdraw(language: str, recording_id: int):
    language = _language(language)
    db = get_session()
    recording = db.get(AudioRecording, recording_id)
    if recording is None or recording.language != language:
        abort(404)
    back = url_for("staff.audio_language", language=language) + f"#p-{recording.phrase_key}"

    def withdraw(db):
        recordings.withdraw(db, recording)
        audit.record(db, actor(), "audio.withdrawn", remote_addr=request.remote_addr, language=language,
                     phrase=recording.phrase_key, version=recording.version)

    return save(withdraw, f"Version {recording.version} withdrawn: the kiosk plays the one before it, "
                          "or the synthetic voice.", back)
