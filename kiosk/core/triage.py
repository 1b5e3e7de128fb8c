"""How urgent a case is and when it is due: the one place this policy lives.

Emergencies (danger now, a medical emergency, sexual abuse) are handled the
same day, medical complaints within 24 hours, everything else within 5 days.
Priority orders the staff's queue: lower comes first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.core.models import EmergencyKind

PRIORITY_EMERGENCY = 0
PRIORITY_MEDICAL = 1
PRIORITY_LEGAL_ACCESS = 2
PRIORITY_ROUTINE = 3

DUE_WITHIN = {
    "emergency": timedelta(hours=8),   # the same working day
    "medical": timedelta(hours=24),    # the health authority's 24 hours
    "urgent": timedelta(hours=24),     # urgent, though not an emergency
    "routine": timedelta(days=5),
}

# Past this a case is badly late; the staff console flags it.
BADLY_LATE_AFTER = timedelta(days=15)


@dataclass(frozen=True)
class Triage:
    is_emergency: bool
    priority: int
    due_in: timedelta

    def due_at(self, filed_at: datetime) -> datetime:
        return filed_at + self.due_in


DANGER_FROM = {"detainee_violence": EmergencyKind.DANGER_FROM_DETAINEE,
               "staff_violence": EmergencyKind.DANGER_FROM_STAFF}


def emergency_kind(category: str, answers: dict) -> EmergencyKind | None:
    """What kind of emergency the answers describe, as soon as they say it; None: not an emergency."""
    if answers.get("safety_kind") == "sexual_abuse":
        return EmergencyKind.SEXUAL_ABUSE
    if answers.get("urgent") != "yes":
        return None
    if category == "medical":
        return EmergencyKind.MEDICAL
    if category == "safety":
        return DANGER_FROM.get(answers.get("safety_kind"), EmergencyKind.DANGER)
    return None


def is_emergency(category: str, answers: dict) -> bool:
    return emergency_kind(category, answers) is not None


def triage(category: str, answers: dict) -> Triage:
    if is_emergency(category, answers):
        return Triage(True, PRIORITY_EMERGENCY, DUE_WITHIN["emergency"])
    if category == "medical":
        return Triage(False, PRIORITY_MEDICAL, DUE_WITHIN["medical"])
    priority = PRIORITY_LEGAL_ACCESS if category == "legal_access" else PRIORITY_ROUTINE
    if answers.get("urgent") == "yes":
        return Triage(False, priority, DUE_WITHIN["urgent"])
    return Triage(False, priority, DUE_WITHIN["routine"])
