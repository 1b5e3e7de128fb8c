"""A case's status in plain words, for the detainee on the kiosk and for family by text."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_WORDS = {
    "new": _l("Received"),
    "acknowledged": _l("A case manager has seen it"),
    "in_review": _l("A case manager is checking it"),
    "facility_contacted": _l("We asked the facility"),
    "referred": _l("Sent to another office for action"),
    "resolved": _l("Finished"),
    "not_substantiated": _l("Finished: no rule was broken"),
    "withdrawn": _l("Stopped at your request"),
}
