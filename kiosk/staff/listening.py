"""Complaints said aloud, heard by staff, and by the interpreter a recording's text was sent to:
each play is a view of the case and is audited."""
from __future__ import annotations

from flask import abort, make_response, request

from kiosk.core import audit, voice
from kiosk.core.languages import NAMED
from kiosk.core.models import Case, Interpretation, VoiceRecording
from kiosk.staff import blueprint
from kiosk.staff.changes import actor
from kiosk.staff.interpreting import _sent_to_me
from kiosk.staff.views import _visible_case
from kiosk.web.db import get_session


@blueprint.app_template_global()
def case_recordings(case: Case) -> list[VoiceRecording]:
    return voice.of_case(get_session(), case)


@blueprint.app_template_global()
def spoken_language_name(code: str) -> str:
    return NAMED[code].english_name if code in NAMED else code


@blueprint.app_template_global()
def text_recordings(interpretation: Interpretation) -> list[VoiceRecording]:
    return voice.of_text(get_session(), interpretation.case_id, interpretation.event_id)


def _played(recording: VoiceRecording | None, case: Case, event_id, **detail):
    db = get_session()
    if recording is None or recording.case_id != case.id or (event_id is not ... and recording.event_id != event_id):
        abort(404)
    audit.record(db, actor(), "voice.played", case=case, remote_addr=request.remote_addr, recording_id=recording.id,
                 **detail)
    db.commit()
    response = make_response(recording.clip)
    response.mimetype = "audio/ogg"
    response.cache_control.no_store = True  # never kept in a staff browser's cache
    return response


@blueprint.get("/case/<number>/recordings/<id:recording_id>.opus")
def case_recording(number: str, recording_id: int):
    case = _visible_case(number, refused="voice.refused")
    return _played(get_session().get(VoiceRecording, recording_id), case, ...)


@blueprint.get("/interpretation/<id:interpretation_id>/recordings/<id:recording_id>.opus")
def interpretation_recording(interpretation_id: int, recording_id: int):
    """For the interpreter the text was sent to: only that text's recordings."""
    sent = _sent_to_me(interpretation_id)
    return _played(get_session().get(VoiceRecording, recording_id), sent.case, sent.event_id,
                   interpretation_id=sent.id)
