"""The moments the reports measure a case by, kept on the case itself (``first_action_at``,
``closed_at``) so a report over a million cases never reads their events: the one place they are set,
called in the transaction of the change that reaches them.

First action: the first time a case manager did something the complaint moves by: a status change
(every change leads away from "new"), a reply drafted to the detainee, or a logged contact with the
facility. A note, an assignment or a new deadline is not: nothing happened to the complaint yet.
Closed: when the case took an outcome that closes it (resolved, not substantiated, withdrawn);
reopening clears it, and closing again sets it anew.
"""
from __future__ import annotations

from datetime import datetime

from kiosk.core.models import Case, CaseStatus

# The statuses that close a case: it takes no more messages, and its time to resolution ends.
CLOSED = (CaseStatus.RESOLVED, CaseStatus.NOT_SUBSTANTIATED, CaseStatus.WITHDRAWN)
# What became of a complaint, as the reports and the Open311 export name it: the closing statuses and a
# referral (which leaves the case open while the unit acts).
OUTCOMES = (CaseStatus.RESOLVED, CaseStatus.NOT_SUBSTANTIATED, CaseStatus.REFERRED, CaseStatus.WITHDRAWN)


def acted_on(case: Case, now: datetime, *, status: str | None = None) -> None:
    """A case manager acted on the case at ``now``; ``status``: the status it moved to, if it moved."""
    if case.first_action_at is None:
        case.first_action_at = now
    if status is not None:
        case.closed_at = now if status in CLOSED else None
