"""The kiosk's sound, served: each language's list of clips and the clips themselves.

Under /kiosk/static/ so no session is opened for them, and only to enrolled kiosks like every
kiosk page. A clip's address names its content, so the browser keeps it for a year; the list is
checked again every few minutes, so a new recording reaches the kiosks the same day.
"""
from __future__ import annotations

import re

from flask import abort, current_app, jsonify, make_response, request, send_from_directory, session

from kiosk.audio import phrases, recordings
from kiosk.core.models import AudioRecording
from kiosk.detainee import blueprint
from kiosk.web.db import get_session

CLIP_NAME = re.compile(r"[0-9a-f]{24}\.opus")
YEAR = 365 * 24 * 3600
PLAYLIST_MAX_AGE = 300


def _language(code: str) -> str:
    if code not in phrases.spoken_languages():
        abort(404)
    return code


@blueprint.app_template_global()
def heard_language(page_code: str) -> str:
    """The language this session hears: one offered by ear, or the language it reads."""
    return session.get("voice") or page_code


def _addresses(language: str) -> dict[str, str]:
    """Phrase key -> the address of the clip the kiosk plays for it."""
    clips = recordings.playlist(get_session(), current_app.config["KIOSK"].audio_dir, language)
    base = f"{request.script_root}/kiosk/static/audio/{language}/"
    return {key: base + name + ("" if name.endswith(".opus") else ".opus") for key, name in clips.items()}


@blueprint.get("/static/audio/<language>.json")
def audio_playlist(language: str):
    """What audio.js needs to read a screen in this language: each message as its phrases
    ({"t": text, "k": key}) and slots ({"s": name}), each phrase's clip, and every language's
    name in its own voice (the language screen)."""
    language = _language(language)
    messages = [[{"t": part.text, "k": part.key} if isinstance(part, phrases.Phrase) else {"s": part}
                 for part in message.parts] for message in phrases.messages(language) if message.parts]
    names = {code: clips["language.name"] for code in phrases.spoken_languages()
             if "language.name" in (clips := _addresses(code))}
    response = jsonify({"language": language, "messages": messages, "clips": _addresses(language),
                        "names": names})
    response.cache_control.max_age = PLAYLIST_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


@blueprint.get("/static/audio/<language>/<name>")
def audio_clip(language: str, name: str):
    language = _language(language)
    if not CLIP_NAME.fullmatch(name):
        abort(404)
    return send_from_directory(current_app.config["KIOSK"].audio_dir / language, name, max_age=YEAR,
                               mimetype="audio/ogg")


@blueprint.get("/static/audio/<language>/r/<id:recording_id>-<digest>.opus")
def audio_recording(language: str, recording_id: int, digest: str):
    language = _language(language)
    recording = get_session().get(AudioRecording, recording_id)
    if recording is None or recording.language != language or not recording.digest.startswith(digest) \
            or len(digest) != 16:
        abort(404)
    response = make_response(recording.clip)
    response.mimetype = "audio/ogg"
    response.cache_control.max_age = YEAR
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
