"""A case's status in plain words, for the detainee on the kiosk and for family by text."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from kiosk.core.models import CaseStatus

STATUS_WORDS = {
    CaseStatus.NEW: _l("Received"),
    CaseStatus.ACKNOWLEDGED: _l("A case manager has seen it"),
    CaseStatus.IN_REVIEW: _l("A case manager is checking it"),
    CaseStatus.FACILITY_CONTACTED: _l("We asked the facility"),
    CaseStatus.REFERRED: _l("Sent to another office for action"),
    CaseStatus.RESOLVED: _l("Finished"),
    CaseStatus.NOT_SUBSTANTIATED: _l("Finished: no rule was broken"),
    CaseStatus.WITHDRAWN: _l("Stopped at your request"),
}
