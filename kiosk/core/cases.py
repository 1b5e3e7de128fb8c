"""Filing a complaint and letting the detainee follow it.

Everything here runs inside the caller's transaction: a case, its first
timeline event and its audit entry are stored together or not at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kiosk.core import actors, audit, case_translations, emergencies, jobs, milestones, text
from kiosk.core.categories import CATEGORY_CODES, valid_answers, valid_so_far
from kiosk.core.identifiers import new_case_number
from kiosk.core.kiosks import EnrolledKiosk
from kiosk.core.models import Case, CaseEvent, Channel, Detainee, EventKind, Submitter, utcnow
from kiosk.core.triage import emergency_kind, triage

MAX_DESCRIPTION = 5000


class IncompleteComplaint(ValueError):
    pass


@dataclass
class Complaint:
    """What the detainee said, before it becomes a case."""

    language: str
    category: str
    answers: dict
    description: str
    pin_hash: str  # hashed as soon as it was chosen; the PIN itself is never stored
    a_number: str | None = None  # None: filed without a name
    # The two questions about retaliation (kiosk/core/retaliation.py); None: not asked.
    may_name_to_facility: bool | None = None
    fears_retaliation: bool | None = None

    def check(self) -> None:
        if self.category not in CATEGORY_CODES or not valid_answers(self.category, self.answers):
            raise IncompleteComplaint("category or answers missing")
        if len(self.description) > MAX_DESCRIPTION:
            raise IncompleteComplaint("description too long")
        if not self.pin_hash:
            raise IncompleteComplaint("PIN missing")


def _unused_case_number(session: Session, now: datetime) -> str:
    while True:
        number = new_case_number(now.year)
        if session.scalar(select(Case.id).where(Case.number == number)) is None:
            return number


def _detainee(session: Session, a_number: str) -> Detainee:
    detainee = session.scalar(select(Detainee).where(Detainee.a_number == a_number))
    if detainee is None:
        detainee = Detainee(a_number=a_number)
        session.add(detainee)
    return detainee


def find_by_submission(session: Session, token: str) -> Case | None:
    return session.scalar(select(Case).where(Case.submission_token == token))


def _open(session: Session, *, actor: str, channel: str, now: datetime, a_number: str | None,
          category: str, answers: dict, language: str, description: str, complete: bool = True, **fields) -> Case:
    """A new case with its first timeline event, its translation queued, its audit entry and, for an
    emergency, its alert. ``complete`` False: stored at the emergency screen, the rest still to come."""
    decision = triage(category, answers)
    case = Case(
        number=_unused_case_number(session, now),
        detainee=_detainee(session, a_number) if a_number else None,
        channel=channel, language=language, category=category, answers=dict(answers), description=description,
        is_emergency=decision.is_emergency, emergency_kind=emergency_kind(category, answers),
        priority=decision.priority, due_at=decision.due_at(now), created_at=now, updated_at=now,
        completed_at=now if complete else None, **fields,
    )
    session.add(case)
    case.events.append(CaseEvent(
        kind=EventKind.FILED, actor=actor, status_to=case.status, language=language, created_at=now,
        body=None if complete else "Stored the moment the answers said emergency, before the rest of the report."))
    session.flush()
    case_translations.queue_for_new_case(session, case)
    audit.record(session, actor, "case.filed", case=case, emergency=decision.is_emergency, channel=channel,
                 **({} if complete else {"complete": False}))
    if case.is_emergency:
        emergencies.raise_alert(session, case, now)
    return case


def file_from_kiosk(
    session: Session,
    kiosk: EnrolledKiosk,
    complaint: Complaint,
    *,
    submission_token: str,
    now: datetime | None = None,
) -> Case:
    """Stores the complaint as a new case. A repeated submission token returns the first case, completed
    with the complaint when it was stored early, at the emergency screen."""
    existing = find_by_submission(session, submission_token)
    if existing is not None:
        if existing.completed_at is None:
            complaint.check()
            _complete(session, existing, complaint, actor=actors.kiosk(kiosk.id), now=now or utcnow())
        return existing
    complaint.check()
    return _open(
        session, actor=actors.kiosk(kiosk.id), channel=Channel.KIOSK, now=now or utcnow(), a_number=complaint.a_number,
        category=complaint.category, answers=complaint.answers, language=complaint.language,
        description=complaint.description, facility_id=kiosk.facility_id, housing_unit_id=kiosk.housing_unit_id,
        kiosk_id=kiosk.id, submitted_by=Submitter.DETAINEE, pin_hash=complaint.pin_hash, submission_token=submission_token,
        may_name_to_facility=complaint.may_name_to_facility, fears_retaliation=complaint.fears_retaliation,
    )


def file_emergency_from_kiosk(session: Session, kiosk: EnrolledKiosk, *, language: str, category: str,
                              answers: dict, a_number: str | None, submission_token: str,
                              now: datetime | None = None) -> Case:
    """Stores what is known the moment the answers say emergency: no PIN, no words yet.

    The draft's submission token makes it the same case however often this runs (a double tap,
    going back and answering again), and the same case the review's Send completes. Until a PIN
    is chosen nobody can open it from a kiosk; staff see it in full at once."""
    existing = find_by_submission(session, submission_token)
    if existing is not None:
        return existing
    if not emergency_kind(category, answers) or not valid_so_far(category, answers):
        raise IncompleteComplaint("not an emergency")
    return _open(
        session, actor=actors.kiosk(kiosk.id), channel=Channel.KIOSK, now=now or utcnow(), a_number=a_number,
        category=category, answers=answers, language=language, description="", complete=False,
        facility_id=kiosk.facility_id, housing_unit_id=kiosk.housing_unit_id, kiosk_id=kiosk.id,
        submitted_by=Submitter.DETAINEE, submission_token=submission_token,
    )


def _complete(session: Session, case: Case, complaint: Complaint, *, actor: str, now: datetime) -> None:
    """The rest of a report stored early. An emergency stays one: only staff may say otherwise.

    One UPDATE claims the completion, so two Sends racing complete it once."""
    if not _claim_completion(session, case, now):
        return
    decision = triage(complaint.category, complaint.answers)
    if complaint.a_number and case.detainee is None:
        case.detainee = _detainee(session, complaint.a_number)
    case.category, case.answers, case.language = complaint.category, dict(complaint.answers), complaint.language
    case.description, case.pin_hash = complaint.description, complaint.pin_hash
    case.may_name_to_facility, case.fears_retaliation = complaint.may_name_to_facility, complaint.fears_retaliation
    case.emergency_kind = emergency_kind(complaint.category, complaint.answers) or case.emergency_kind
    case.priority, case.due_at = min(case.priority, decision.priority), min(case.due_at, decision.due_at(now))
    _record_completion(session, case, actor=actor, now=now,
                       body="The person finished the report: answers, PIN and own words.")


def _claim_completion(session: Session, case: Case, now: datetime) -> bool:
    """One UPDATE takes the completion of a report stored early: False when another request already did."""
    return session.execute(update(Case).where(Case.id == case.id, Case.completed_at.is_(None))
                           .values(completed_at=now).returning(Case.id)
                           .execution_options(synchronize_session=False)).first() is not None


def _record_completion(session: Session, case: Case, *, actor: str, now: datetime, body: str) -> None:
    case.completed_at = case.updated_at = now
    case.events.append(CaseEvent(kind=EventKind.COMPLETED, actor=actor, visible_to_detainee=False, created_at=now,
                                 body=body))
    session.flush()
    case_translations.queue_for_new_case(session, case)
    audit.record(session, actor, "case.completed", case=case)


def unfinished_steps(case: Case) -> list[str]:
    """What a report stored at the emergency screen still lacks, in the staff's English."""
    if case.completed_at is not None:
        return []
    if case.submitted_by == Submitter.THIRD_PARTY:  # by text: no questions to tap, no PIN
        missing = [] if case.submitter_relationship else ["who the reporter is to the person"]
        return missing + ([] if case.description else ["their own words"]) + ["DONE by text"]
    missing = []
    if not valid_answers(case.category, case.answers):
        missing.append("the remaining questions")
    if case.pin_hash is None:
        missing.append("a PIN (the person cannot open the case at a kiosk)")
    if not case.description:
        missing.append("their own words")
    return missing + ["review and send"]


RELATIONSHIPS = ("family", "lawyer", "friend", "other")


def file_for_detainee(session: Session, *, phone: str, relationship: str, facility_id: int, language: str,
                      category: str, description: str, a_number: str | None = None,
                      detainee_name: str | None = None, may_name_to_facility: bool | None = None,
                      fears_retaliation: bool | None = None, now: datetime | None = None) -> Case:
    """A report by someone outside on a detainee's behalf: the case records who filed it and from where,
    and the reporter's answers to the questions about retaliation."""
    if category not in CATEGORY_CODES or relationship not in RELATIONSHIPS or not (a_number or detainee_name):
        raise IncompleteComplaint("category, relationship or detainee missing")
    return _open(
        session, actor=actors.phone(phone), channel=Channel.SMS, now=now or utcnow(), a_number=a_number, category=category,
        answers={}, language=language, description=text.clean(description, limit=MAX_DESCRIPTION, what="description"),
        facility_id=facility_id, submitted_by=Submitter.THIRD_PARTY, submitter_phone=phone,
        submitter_relationship=relationship, detainee_name=detainee_name,
        may_name_to_facility=may_name_to_facility, fears_retaliation=fears_retaliation,
    )


# What a reporter by text can say at once: someone is in danger now (safety), or needs a doctor now (medical).
URGENT_NOW = {"urgent": "yes"}


def file_emergency_for_detainee(session: Session, *, phone: str, facility_id: int, language: str, category: str,
                                a_number: str | None = None, detainee_name: str | None = None,
                                now: datetime | None = None) -> Case:
    """A third party's report stored the moment they say it is an emergency, with its alert: who they
    are and their words come later, and ``complete_for_detainee`` adds them to this same case."""
    if emergency_kind(category, URGENT_NOW) is None or not (a_number or detainee_name):
        raise IncompleteComplaint("not an emergency, or detainee missing")
    return _open(
        session, actor=actors.phone(phone), channel=Channel.SMS, now=now or utcnow(), a_number=a_number,
        category=category, answers=URGENT_NOW, language=language, description="", complete=False,
        facility_id=facility_id, submitted_by=Submitter.THIRD_PARTY, submitter_phone=phone,
        detainee_name=detainee_name,
    )


def complete_for_detainee(session: Session, case: Case, *, relationship: str, description: str,
                          may_name_to_facility: bool | None = None, fears_retaliation: bool | None = None,
                          now: datetime | None = None) -> bool:
    """The rest of a third party's emergency report; False when it was completed already (a DONE twice)."""
    if relationship not in RELATIONSHIPS:
        raise IncompleteComplaint("relationship missing")
    description = text.clean(description, limit=MAX_DESCRIPTION, what="description")
    now = now or utcnow()
    if not _claim_completion(session, case, now):
        return False
    case.submitter_relationship, case.description = relationship, description
    case.may_name_to_facility, case.fears_retaliation = may_name_to_facility, fears_retaliation
    _record_completion(session, case, actor=actors.phone(case.submitter_phone), now=now,
                       body="The reporter finished the report: who they are and their own words.")
    return True


def cases_for_identifier(session: Session, *, a_number: str | None = None, case_number: str | None = None) -> list[Case]:
    query = select(Case).where(Case.pin_hash.is_not(None)).order_by(Case.created_at.desc())
    if a_number is not None:
        query = query.join(Detainee).where(Detainee.a_number == a_number)
    else:
        query = query.where(Case.number == case_number)
    return list(session.scalars(query))


def change_status(session: Session, case: Case, status: str, *, actor: str, reason: str | None = None,
                  now: datetime | None = None) -> CaseEvent:
    """A new status: a timeline event, an audit entry, and one job that tells the case's followers."""
    now = now or utcnow()
    event = CaseEvent(kind=EventKind.STATUS_CHANGED, actor=actor, status_from=case.status, status_to=status,
                      body=reason, created_at=now)
    case.status = status
    case.updated_at = now
    milestones.acted_on(case, now, status=status)
    case.events.append(event)
    session.flush()
    jobs.enqueue(session, jobs.JobKind.NOTIFY_FOLLOWERS, {"case_id": case.id, "event_id": event.id})
    audit.record(session, actor, "case.status_changed", case=case, status_from=event.status_from, status_to=status)
    return event


# A closed case takes no more messages: the detainee is told to make a new complaint.
CLOSED = milestones.CLOSED


class MessageRefused(ValueError):
    """The detainee's later message cannot be added; the view says why in their language."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "empty", "too_long" or "closed"


def add_detainee_message(session: Session, case: Case, words: str, *, actor: str, token: str,
                         spoken: bool = False) -> CaseEvent:
    """Something the detainee adds later (often an answer to a case manager's reply), in their words.

    Stored as typed, translated into English for staff by the worker, once per form token:
    a second tap on "send" finds the message the first one added. A message said aloud
    (``spoken``: its recording comes with it, kiosk/core/voice.py) may have no written words.
    """
    if token and (sent := session.scalar(select(CaseEvent).where(CaseEvent.submission_token == token))):
        if sent.case_id != case.id:
            raise MessageRefused("empty")  # a token from another case's form: nothing to add here
        return sent
    if case.status in CLOSED:
        raise MessageRefused("closed")
    try:
        words = text.clean(words, limit=MAX_DESCRIPTION, what="message", required=not spoken)
    except text.TextRefused as refused:
        raise MessageRefused(refused.reason) from None
    event = CaseEvent(kind=EventKind.DETAINEE_MESSAGE, actor=actor, body=words, language=case.language,
                      submission_token=token or None)
    case.events.append(event)
    case.updated_at = utcnow()
    session.flush()
    if words:
        case_translations.queue(session, case, words, case.language, case_translations.STAFF_LANGUAGE, event)
    audit.record(session, actor, "case.message_added", case=case, event_id=event.id)
    return event


def detainee_timeline(case: Case) -> list[CaseEvent]:
    return [e for e in case.events if e.visible_to_detainee]
