"""Complaints said aloud, heard by staff: each play is a view of the case and is audited."""
from __future__ import annotations

from flask import abort, make_response, request

from kiosk.core import audit, voice
from kiosk.core.languages import BY_CODE, SPOKEN_BY_CODE
from kiosk.core.models import Case, VoiceRecording
from kiosk.staff import blueprint
from kiosk.staff.changes import actor
from kiosk.staff.views import _visible_case
from kiosk.web.db import get_session


@blueprint.app_template_global()
def case_recordings(case: Case) -> list[VoiceRecording]:
    return voice.of_case(get_session(), case)


@blueprint.app_template_global()
def spoken_language_name(code: str) -> str:
    named = BY_CODE.get(code) or SPOKEN_BY_CODE.get(code)
    return named.english_name if named else code


@blueprint.get("/case/<number>/recordings/<id:recording_id>.opus")
def case_recording(number: str, recording_id: int):
    case = _visible_case(number, refused="voice.refused")
    db = get_session()
    recording = db.get(VoiceRecording, recording_id)
    if recording is None or recording.case_id != case.id:
        abort(404)
    audit.record(db, actor(), "voice.played", case=case, remote_addr=request.remote_addr, recording_id=recording.id)
    db.commit()
    response = make_response(recording.clip)
    response.mimetype = "audio/ogg"
    response.cache_control.no_store = True  # never kept in a staff browser's cache
    return response
