"""A complaint said aloud: the recording posted with a words form, and playing it back.

The words page and the tracking screen's message page post the recording (recorder.js puts it in
the form's file field) beside the typed words. Those two posts may carry up to a few MB, so they
are exempt from the app-wide CSRF check (which would read them under the app's 256 KB limit) and
check the token themselves, after raising the limit for that request only.
"""
from __future__ import annotations

from flask import abort, make_response, request, session
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from kiosk.core import voice
from kiosk.detainee import blueprint
from kiosk.web.db import get_session
from kiosk.web.security import csrf

FORM_ROOM = 64 * 1024  # the words and the form's own fields beside the recording


class VoiceProblem(Exception):
    """What to tell the person, already in their language."""


def posted_recording() -> bytes | None:
    """The recording of this POST, if any, after the CSRF check. VoiceProblem when too big."""
    request.max_content_length = voice.MAX_BYTES + FORM_ROOM
    try:
        csrf.protect()
        upload = request.files.get("voice")
        data = upload.read(voice.MAX_BYTES + 1) if upload is not None else b""
    except RequestEntityTooLarge:
        raise VoiceProblem(_("Your recording is too long. You can speak for up to 5 minutes.")) from None
    if len(data) > voice.MAX_BYTES:
        raise VoiceProblem(_("Your recording is too long. You can speak for up to 5 minutes."))
    return data or None


def unusable() -> str:
    return _("Your recording could not be used. Nothing was saved. Please record again.")


@blueprint.get("/file/recording.opus")
def draft_recording():
    """The recording waiting in this person's draft, to hear it again before sending."""
    recording = voice.pending(get_session(), (session.get("draft") or {}).get("submission_token", ""))
    if recording is None:
        abort(404)
    response = make_response(recording.clip)
    response.mimetype = "audio/ogg"
    response.cache_control.no_store = True
    return response
