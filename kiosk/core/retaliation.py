"""Fear of retaliation: what the facility may be told about who complained.

Fear of staff's reprisal keeps people from filing, so the kiosk and NEW by text ask two
questions at filing: may the ombudsman tell the facility the person's name, and is the person
afraid that staff will punish them. The case keeps both answers, and only a yes lets the
facility learn who the person is: a case filed before the questions existed (NULL), an
emergency whose report stopped before them, and a complaint filed without a name are never
named. The staff console shows the rule on the case page and beside the facility contact form,
writes it into every facility contact it logs, and every export carries it.
"""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.identifiers import format_a_number
from kiosk.core.models import Case, Submitter

DO_NOT_NAME = "Do not tell the facility the person's name."
MAY_NAME = "May be named to the facility."
FEARS = "Fears retaliation."
NOT_ASKED = "Not asked whether the facility may know who complained."


def may_name(case: Case) -> bool:
    """Whether the facility may be told who the person is: only when they (or their reporter) said yes."""
    return case.may_name_to_facility is True


def fears(case: Case) -> bool:
    return case.fears_retaliation is True


@dataclass(frozen=True)
class Protection:
    """The rule for one case, as the console shows it."""

    may_name: bool
    fears: bool
    answered_by: str | None  # "detainee", "reporter" (by text, for the person), None: never asked
    banner: str              # one to three short sentences in the staff's English


def protection(case: Case) -> Protection:
    named, afraid = may_name(case), fears(case)
    if case.may_name_to_facility is None and case.fears_retaliation is None:
        return Protection(named, afraid, None, f"{NOT_ASKED} {DO_NOT_NAME}")
    said = ([FEARS] if afraid else []) + [MAY_NAME if named else DO_NOT_NAME]
    answered_by = "reporter" if case.submitted_by == Submitter.THIRD_PARTY else "detainee"
    if answered_by == "reporter":
        said.append("(The reporter answered for the person.)")
    return Protection(named, afraid, answered_by, " ".join(said))


def record(case: Case) -> dict:
    """What the exports carry: the answers as stored (None: not asked) and the rule they make."""
    rule = protection(case)
    return {"may_name_to_facility": case.may_name_to_facility, "fears_retaliation": case.fears_retaliation,
            "facility_may_be_told_identity": rule.may_name, "answered_by": rule.answered_by, "rule": rule.banner}


def identity_for_facility(case: Case) -> str | None:
    """What the facility may be told of who the person is (A-number, or the name a reporter gave),
    or None when it may be told nothing."""
    if not may_name(case):
        return None
    if case.detainee is not None:
        return format_a_number(case.detainee.a_number)
    return case.detainee_name


def contact_line(case: Case) -> str:
    """The line a facility contact's log entry carries: what the facility could be told when it was contacted."""
    shown = identity_for_facility(case)
    if shown:
        return f"Identity: may be named to the facility ({shown})."
    return "Identity: withheld from the facility" + (", the person fears retaliation." if fears(case) else ".")
