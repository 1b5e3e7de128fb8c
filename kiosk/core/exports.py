"""What leaves the console: one case's whole record, and the queue as a spreadsheet.

The case record is built once, as plain data, for both the JSON file and the
printable page, so the two never disagree. Complaint texts are hostile input:
they are exported exactly as written (a script tag, a bidi override, 5,000
characters without a space), and a spreadsheet cell that would start a formula
is prefixed with an apostrophe.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core import actors, case_links, case_translations, casework, retaliation
from kiosk.core.categories import answers_in_english, category_label
from kiosk.core.identifiers import format_a_number
from kiosk.core.languages import BY_CODE
from kiosk.core.models import Case, StaffUser, Translation, TranslationStatus, utcnow

# The queue export takes every open case the filters match, not the page's first 200.
QUEUE_LIMIT = 50_000


def _when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _language_name(code: str) -> str:
    found = BY_CODE.get(code)
    return found.english_name if found else code


def translation_rows(session: Session, case: Case) -> list[dict]:
    """Every translation of the case, every version: the complaint's words first, then each message's."""
    rows = session.scalars(select(Translation).where(Translation.case_id == case.id)
                           .order_by(Translation.event_id.is_not(None), Translation.event_id, Translation.id)).all()
    events = {e.id: e for e in case.events}
    names = actors.names(session, [t.made_by for t in rows if t.human])
    return [{
        "id": t.id,
        "of": "the complaint" if t.event_id is None else events[t.event_id].kind.label,
        "of_at": None if t.event_id is None else _when(events[t.event_id].created_at),
        "event_id": t.event_id,
        "from": t.source_language, "to": t.target_language,
        "from_name": _language_name(t.source_language), "to_name": _language_name(t.target_language),
        "status": t.status,
        "made_by": "human" if t.human else "machine",
        "package": None if t.human else t.made_by,  # name and version of each package used
        "corrected_by": names.get(t.made_by, t.made_by) if t.human else None,
        "source_text": t.source_text,
        "text": t.text,
        "created_at": _when(t.created_at), "finished_at": _when(t.finished_at),
    } for t in rows]


def case_record(session: Session, case: Case, viewer: StaffUser, *, now: datetime | None = None) -> dict:
    """The whole case as a case manager files it with the ombudsman: facts, answers in English,
    the original words, every translation, the full timeline (internal notes and facility
    contacts included) and links. Staff-only: never give this to the kiosk or SMS."""
    now = now or utcnow()
    english = case_translations.latest(session, case.id, case_translations.STAFF_LANGUAGE)
    links = case_links.links_of(session, case, viewer)
    names = actors.names(session, [e.actor for e in case.events] + [link.created_by for link in links]
                         + [actors.staff(viewer), english.made_by if english and english.human else None,
                            case.summary_by])
    return {
        "case": {
            "number": case.number,
            "facility": {"code": case.facility.code, "name": case.facility.name, "timezone": case.facility.timezone},
            "housing_unit": case.housing_unit.name if case.housing_unit else None,
            "channel": case.channel,
            "submitted_by": case.submitted_by,
            "submitter_relationship": case.submitter_relationship,
            "submitter_phone": case.submitter_phone,
            "detainee": {"a_number": format_a_number(case.detainee.a_number) if case.detainee else None,
                         "name": case.detainee_name},
            "language": {"code": case.language, "name": _language_name(case.language)},
            "needs_interpreter": case.needs_interpreter,
            "category": {"code": case.category, "label": category_label(case.category)},
            "emergency": case.is_emergency,
            "emergency_kind": case.emergency_kind,
            "completed": case.completed_at is not None,  # False: stored at the emergency screen, never finished
            "status": case.status,
            "assigned_to": case.assigned_to.display_name if case.assigned_to else None,
            "filed_at": _when(case.created_at),
            "updated_at": _when(case.updated_at),
            "due_at": _when(case.due_at),
            "overdue": case.status in casework.OPEN and case.due_at < now,
        },
        "summary": None if case.summary is None else {
            "text": case.summary, "by": names.get(case.summary_by, case.summary_by), "at": _when(case.summary_at)},
        # What the facility may be told of who complained: shown first wherever the record is read.
        "protection": retaliation.record(case),
        "answers": [{"question": q, "answer": a} for q, a in answers_in_english(case.answers)],
        "original": {"language": case.language, "text": case.description},
        "english": None if english is None else {
            "text": english.text, "made_by": "human" if english.human else "machine",
            "by": names.get(english.made_by, english.made_by),  # a person, or the package and its version
        },
        "translations": translation_rows(session, case),
        "timeline": [{
            "at": _when(e.created_at), "kind": e.kind, "actor": names.get(e.actor, e.actor),
            "status_from": e.status_from, "status_to": e.status_to, "text": e.body, "language": e.language,
            "shown_to_detainee": e.visible_to_detainee,
        } for e in case.events],
        "links": [{
            "case": link.number, "facility": link.facility_code, "status": link.status, "reason": link.reason,
            "linked_by": names.get(link.created_by, link.created_by), "linked_at": _when(link.created_at),
        } if link.visible else {"case": None, "note": case_links.HIDDEN, "linked_at": _when(link.created_at)}
            for link in links],
        "same_category_elsewhere_last_30_days": [{"facility": code, "cases": count}
                                                 for code, count in casework.related(session, case, now=now)],
        "exported": {"at": _when(now), "by": names[actors.staff(viewer)]},
    }


# OWASP's list of what makes a spreadsheet read a cell as a formula (LF too, to be safe).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


QUEUE_COLUMNS = ("Case", "Facility", "Category", "Status", "Emergency", "Language", "Needs interpreter",
                 "Assigned to", "Filed (UTC)", "Due (UTC)", "Overdue", "Summary", "May be named to facility",
                 "Fears retaliation", "Detainee's words", "English")


def _said(answer: bool | None, unasked: str = "not asked") -> str:
    return unasked if answer is None else "yes" if answer else "no"


def _english_of(session: Session, case_ids: list[int]) -> dict[int, str]:
    """The English of each complaint (a person's correction over the machine's), in one query."""
    english: dict[int, str] = {}
    for start in range(0, len(case_ids), 1000):  # keeps IN lists a reasonable size
        rows = session.scalars(select(Translation).where(
            Translation.case_id.in_(case_ids[start:start + 1000]), Translation.event_id.is_(None),
            Translation.target_language == case_translations.STAFF_LANGUAGE,
            Translation.status == TranslationStatus.DONE,
        ).order_by(Translation.human.desc(), Translation.id.desc()))
        for row in rows:
            english.setdefault(row.case_id, row.text or "")
    return english


def queue_csv(session: Session, cases: list[Case], *, now: datetime | None = None) -> str:
    now = now or utcnow()
    english = _english_of(session, [c.id for c in cases])
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheet programs read UTF-8 (Arabic, Chinese, Bengali …)
    writer = csv.writer(out)
    writer.writerow(QUEUE_COLUMNS)
    for c in cases:
        writer.writerow([spreadsheet_cell(v) for v in (
            c.number, c.facility.code, category_label(c.category), c.status.label,
            "yes" if c.is_emergency else "no", _language_name(c.language),
            "yes" if c.needs_interpreter else "no", c.assigned_to.display_name if c.assigned_to else "",
            f"{c.created_at:%Y-%m-%d %H:%M}", f"{c.due_at:%Y-%m-%d %H:%M}", "yes" if c.due_at < now else "no",
            c.summary, _said(c.may_name_to_facility, "no (not asked)"), _said(c.fears_retaliation),
            c.description, english.get(c.id, "written in English" if c.language == "en" else ""),
        )])
    return out.getvalue()
