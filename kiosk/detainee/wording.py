"""What the kiosk says for each code, in plain words a person with little schooling understands.

The core stores codes; this is the only place they become the detainee's language.
"""
from __future__ import annotations

from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from kiosk.core.models import EmergencyKind

CATEGORY_WORDS = {
    "medical": _l("Health, doctor, medicine"),
    "legal_access": _l("Lawyer, phone, legal papers"),
    "safety": _l("Danger, hurt, sexual abuse"),
    "living_conditions": _l("Room, bed, toilet, shower, cold or heat"),
    "food": _l("Food and water"),
    "property": _l("My things"),
    "communication": _l("Mail, visits, calls to family"),
    "staff_conduct": _l("How staff treat me"),
    "religion": _l("Religion"),
    "disability": _l("Disability or special help"),
    "other": _l("Something else"),
}

# The question as asked for one category, else for every category (key None).
QUESTION_WORDS = {
    "safety_kind": {None: _l("What happened?")},
    "urgent": {
        "medical": _l("Do you need a doctor right now?"),
        "safety": _l("Are you in danger right now?"),
        None: _l("Is it urgent right now?"),
    },
    "since": {None: _l("Since when?")},
    "raised_with_facility": {None: _l("Did you tell facility staff?")},
}

ANSWER_WORDS = {
    ("safety_kind", "detainee_violence"): _l("Another detainee hurts me or threatens me"),
    ("safety_kind", "staff_violence"): _l("A staff member hurts me or threatens me"),
    ("safety_kind", "sexual_abuse"): _l("Sexual abuse or unwanted touching"),
    ("safety_kind", "other_danger"): _l("Other danger"),
    ("urgent", "yes"): _l("Yes"),
    ("urgent", "no"): _l("No"),
    ("since", "today"): _l("Today"),
    ("since", "this_week"): _l("This week"),
    ("since", "this_month"): _l("This month"),
    ("since", "longer"): _l("More than a month"),
    ("raised_with_facility", "not_yet"): _l("No, not yet"),
    ("raised_with_facility", "told_staff"): _l("Yes, I told staff"),
    ("raised_with_facility", "grievance_filed"): _l("Yes, I wrote a grievance"),
}

class ProtectionQuestion(NamedTuple):
    question: object        # a lazy string, like every message here
    explanation: object     # what the answer does, in one short line
    answers: dict           # answer code -> the words on its button
    on_review: object       # the short label the review shows before the answer


YES_NO_WORDS = {"yes": _l("Yes"), "no": _l("No")}

# The two questions about retaliation, asked after the person's own words (kiosk/core/retaliation.py).
PROTECTION_WORDS = {
    "may_name": ProtectionQuestion(
        _l("May we tell the facility your name when we ask them to fix this?"),
        _l("If you say no, we will not tell them who you are."),
        {"yes": _l("Yes, you may tell them"), "no": _l("No, do not tell them")},
        _l("Tell the facility my name"),
    ),
    "fears_retaliation": ProtectionQuestion(
        _l("Are you afraid that staff will punish you for complaining?"),
        _l("Your answer helps us keep you safe."),
        {"yes": _l("Yes, I am afraid"), "no": _l("No")},
        _l("Afraid of punishment"),
    ),
}

HOTLINE_WORDS = {
    "emergency": _l("Emergency"),
    "medical": _l("Medical help"),
    "sexual_abuse": _l("Sexual abuse hotline"),
    "ombudsman": _l("Detention Ombudsman"),
    "oversight": _l("Independent oversight office"),
}

# The first thing to do, for each kind of emergency.
EMERGENCY_ADVICE = {
    EmergencyKind.SEXUAL_ABUSE: _l("Tell a staff member you trust now. Say it is an emergency."),
    EmergencyKind.DANGER_FROM_STAFF: _l("Tell a staff member you trust now. Say it is an emergency."),
    EmergencyKind.DANGER_FROM_DETAINEE: _l("Tell the nearest staff member now. Say you are in danger. "
                                           "Stay close to staff."),
    EmergencyKind.DANGER: _l("Tell the nearest staff member now. Say it is an emergency."),
    EmergencyKind.MEDICAL: _l("Tell the nearest staff member now. Say you need a doctor now."),
}
# Where the danger may be from staff, and a line outside the facility is configured: that line first.
OUTSIDE_FIRST_ADVICE = {
    EmergencyKind.SEXUAL_ABUSE: _l("You can report this by phone. It is free and private. These lines are outside "
                                   "this facility. You do not have to say your name."),
    EmergencyKind.DANGER_FROM_STAFF: _l("You can report this by phone to people outside this facility. It is free."),
}


def question_text(key: str, category: str):
    wording = QUESTION_WORDS[key]
    return wording.get(category, wording[None])
