"""The domain, as database tables: facilities, kiosks, cases and who may see them.

The core modules (cases, contacts, kiosks, audit) work on these models and know
nothing about HTTP.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC, always hands back an aware datetime (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Code(StrEnum):
    """A value from a fixed list, stored as its text (a status, a role, a kind of event).

    Being a ``str``, a member equals its stored text; ``label`` is the staff's English for it."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class CodeText(TypeDecorator):
    """A column of Code values: stored as plain text, read back as members of ``codes`` (a value this
    version does not know is read back as the text it is)."""

    impl = String
    cache_ok = True

    def __init__(self, codes: type[Code], length: int):
        super().__init__(length)
        self.codes = codes

    def process_bind_param(self, value, dialect):
        return None if value is None else str(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        try:
            return self.codes(value)
        except ValueError:
            return value


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime}


class OperatorType(Code):
    """Who runs a facility and under what agreement, in the words of ICE's detention statistics."""

    SPC = "spc"              # a service processing center ICE owns
    CDF = "cdf"              # a contract detention facility, run by a company under contract
    IGSA = "igsa"            # a county jail under an intergovernmental service agreement
    USMS_IGSA = "usms_igsa"  # a jail ICE uses through the U.S. Marshals Service's agreement
    FAMILY = "family"        # a family residential center
    OTHER = "other"

    @property
    def label(self) -> str:
        return OPERATOR_TYPE_LABELS[self]


OPERATOR_TYPE_LABELS = {
    OperatorType.SPC: "ICE-owned service processing center (SPC)",
    OperatorType.CDF: "Contract detention facility (CDF)",
    OperatorType.IGSA: "County jail under an IGSA",
    OperatorType.USMS_IGSA: "USMS IGSA (through the U.S. Marshals)",
    OperatorType.FAMILY: "Family residential center",
    OperatorType.OTHER: "Other",
}


class Facility(Base):
    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The ERO field office (area of responsibility) its cases route to: a code of
    # kiosk/core/field_offices.py; NULL until an administrator sets it.
    field_office: Mapped[str | None] = mapped_column(String(8))
    operator_type: Mapped[OperatorType | None] = mapped_column(CodeText(OperatorType, 16))

    housing_units: Mapped[list[HousingUnit]] = relationship(back_populates="facility", order_by="HousingUnit.name")
    hotlines: Mapped[list[Hotline]] = relationship(back_populates="facility")


class FacilityPopulation(Base):
    """A facility's average daily population (ADP) from a date on, until its next row: what complaint
    rates are per 100 detainees of (kiosk/core/populations.py)."""

    __tablename__ = "facility_populations"
    __table_args__ = (UniqueConstraint("facility_id", "as_of"),
                      CheckConstraint("population >= 0", name="not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    as_of: Mapped[date]
    population: Mapped[int] = mapped_column(Integer)
    entered_by: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class ComplaintMonth(Base):
    """How many cases a facility has of a category filed in a calendar month (UTC): what the Patterns
    page sums over long periods instead of reading every case. Written only by the database's
    triggers on ``cases`` (migration 0024), never by the application, so it cannot drift."""

    __tablename__ = "complaint_months"
    __table_args__ = (
        # A period's totals: a range of months, covered.
        Index("ix_complaint_months_month", "month", "facility_id", "category", "complaints"),
    )

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    complaints: Mapped[int] = mapped_column(Integer)


class CaseMonth(Base):
    """How many cases, every facility together, were filed in a calendar month (UTC) of a category, now
    have a status, speak a language and were given a deadline (kiosk/core/report_months.py): what
    the Reports page sums over long periods. Written only by the database's triggers on ``cases``
    (migration 0026), like ``ComplaintMonth``."""

    __tablename__ = "case_months"

    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    deadline: Mapped[str] = mapped_column(String(16), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)


class DurationMonth(Base):
    """How many of a month's cases (every facility together) of a deadline took a time in one bin to
    their first action or to closing, and how many of those came by the case's due time
    (kiosk/core/report_months.py). Written only by the triggers of migration 0026."""

    __tablename__ = "duration_months"

    month: Mapped[date] = mapped_column(primary_key=True)
    deadline: Mapped[str] = mapped_column(String(16), primary_key=True)
    measure: Mapped[str] = mapped_column(String(16), primary_key=True)  # first_action or closing
    bin: Mapped[int] = mapped_column(Integer, primary_key=True)  # its first second
    cases: Mapped[int] = mapped_column(Integer)
    in_time: Mapped[int] = mapped_column(Integer)


class HousingUnit(Base):
    __tablename__ = "housing_units"
    __table_args__ = (UniqueConstraint("facility_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))

    facility: Mapped[Facility] = relationship(back_populates="housing_units")


class HotlineKind(Code):
    EMERGENCY = "emergency"        # facility's own emergency line / staff desk
    MEDICAL = "medical"
    SEXUAL_ABUSE = "sexual_abuse"  # PREA reporting line
    OMBUDSMAN = "ombudsman"
    OVERSIGHT = "oversight"        # another body outside the facility (an inspector general, a civil rights office)


class EmergencyKind(Code):
    """What kind of emergency a report says it is: it chooses the advice, the numbers and the alert's words."""

    SEXUAL_ABUSE = "sexual_abuse"
    DANGER_FROM_DETAINEE = "danger_from_detainee"
    DANGER_FROM_STAFF = "danger_from_staff"
    DANGER = "danger"              # danger now, from someone or something not named
    MEDICAL = "medical"


class Hotline(Base):
    """A number shown on the emergency screen; facility_id NULL means every facility."""

    __tablename__ = "hotlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    kind: Mapped[HotlineKind] = mapped_column(CodeText(HotlineKind, 32))
    number: Mapped[str] = mapped_column(String(32))
    free_call_code: Mapped[str | None] = mapped_column(String(16))  # speed-dial on the unit's phones
    # The emergencies whose screen shows this number (EmergencyKind codes), chosen by an administrator.
    shown_for: Mapped[list] = mapped_column(JSON, default=list)

    facility: Mapped[Facility | None] = relationship(back_populates="hotlines")


class OnCallNumber(Base):
    """A phone that is texted when an emergency at its facility is not acknowledged in time."""

    __tablename__ = "on_call_numbers"
    __table_args__ = (UniqueConstraint("facility_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))  # whose phone: "Duty officer", "Ana (case manager)"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Kiosk(Base):
    """A registered touchscreen. Only an enrolled device may file complaints."""

    __tablename__ = "kiosks"
    # Every console page asks which kiosks of its reader's facilities are silent: a small partial index.
    __table_args__ = (
        Index("ix_kiosks_silent", "facility_id",
              postgresql_where=text("silent_since IS NOT NULL"), sqlite_where=text("silent_since IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    housing_unit_id: Mapped[int] = mapped_column(ForeignKey("housing_units.id"))
    # Both tokens are stored as SHA-256 digests: a database copy cannot enroll or impersonate.
    enrollment_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrollment_expires_at: Mapped[datetime | None]
    device_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrolled_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The device's last request, to the minute (kiosk/core/silent_kiosks.py), and since when the
    # worker has shown it as silent on the console (None: it is not).
    last_seen_at: Mapped[datetime | None]
    silent_since: Mapped[datetime | None]

    facility: Mapped[Facility] = relationship()
    housing_unit: Mapped[HousingUnit] = relationship()


class Detainee(Base):
    __tablename__ = "detainees"

    id: Mapped[int] = mapped_column(primary_key=True)
    a_number: Mapped[str] = mapped_column(String(9), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Channel(Code):
    KIOSK = "kiosk"
    SMS = "sms"

    @property
    def label(self) -> str:
        return "Text message (SMS)" if self is Channel.SMS else super().label


class Submitter(Code):
    DETAINEE = "detainee"
    THIRD_PARTY = "third_party"  # a relative, a lawyer, a friend, by text


class CaseStatus(Code):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_REVIEW = "in_review"
    FACILITY_CONTACTED = "facility_contacted"
    REFERRED = "referred"
    RESOLVED = "resolved"
    NOT_SUBSTANTIATED = "not_substantiated"
    WITHDRAWN = "withdrawn"


class Case(Base):
    __tablename__ = "cases"
    # Shaped by the staff console's queries over 100,000 cases (bench/staff_pages.py, migration 0009).
    __table_args__ = (
        # The open cases in queue order, with what the counts above the queue read: the queue
        # reads its first page without sorting, the counts never touch the table. Partial on
        # both databases; SQLite uses it only when a query spells out the same IN list, which
        # kiosk.core.casework does (the same statuses, in the order of casework.OPEN).
        Index("ix_cases_open_queue", "priority", "due_at", "id", "is_emergency", "needs_interpreter", "status",
              postgresql_where=text("status IN ('new', 'acknowledged', 'in_review', 'facility_contacted', "
                                    "'referred')"),
              sqlite_where=text("status IN ('new', 'acknowledged', 'in_review', 'facility_contacted', "
                                "'referred')")),
        # A case manager's queue and counts: their facilities' open cases, covered.
        Index("ix_cases_facility_queue", "facility_id", "status", "priority", "due_at", "id", "is_emergency",
              "needs_interpreter"),
        # "The same problem elsewhere" (casework.related), covered (PostgreSQL needs the id it
        # counts): SQLite reads it facility by facility, in the facilities' code order.
        Index("ix_cases_category_facility_created", "category", "facility_id", "created_at", "id"),
        # Complaints of a period by facility and category (the Patterns page, the daily rate-alert
        # job, kiosk/core/rates.py): a range of filing times, covered.
        Index("ix_cases_created_facility_category", "created_at", "facility_id", "category"),
        # The Reports page (kiosk/core/reports.py): every chart of a period read from this index alone.
        Index("ix_cases_reports", "created_at", "facility_id", "category", "status", "language", "is_emergency",
              "priority", "due_at", "first_action_at", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    housing_unit_id: Mapped[int | None] = mapped_column(ForeignKey("housing_units.id"))
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id"))
    detainee_id: Mapped[int | None] = mapped_column(ForeignKey("detainees.id"), index=True)
    channel: Mapped[Channel] = mapped_column(CodeText(Channel, 16), default=Channel.KIOSK)
    submitted_by: Mapped[Submitter] = mapped_column(CodeText(Submitter, 16), default=Submitter.DETAINEE)
    # A third party's report: the number it came from, who they are to the detainee, and the
    # detainee's name when the reporter did not know the A-number.
    submitter_phone: Mapped[str | None] = mapped_column(String(20))
    submitter_relationship: Mapped[str | None] = mapped_column(String(16))
    detainee_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32), index=True)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    is_emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency_kind: Mapped[EmergencyKind | None] = mapped_column(CodeText(EmergencyKind, 32))
    priority: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    status: Mapped[CaseStatus] = mapped_column(CodeText(CaseStatus, 32), default=CaseStatus.NEW, index=True)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    # No installed language package could translate it: a human interpreter must read it.
    needs_interpreter: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    # Wrong PINs for this case from every kiosk since ``pin_failures_since`` (kiosk/core/pin_tries.py): the
    # kiosk the first came from, and whether another kiosk's followed. Many, from several kiosks, lock the case.
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_failures_since: Mapped[datetime | None]
    pin_failures_kiosk_id: Mapped[int | None] = mapped_column(Integer)
    pin_failures_from_several_kiosks: Mapped[bool] = mapped_column(Boolean, default=False)
    pin_locked_until: Mapped[datetime | None]
    # What the person said at filing (kiosk/core/retaliation.py): whether the facility may be told
    # their name, and whether they fear staff will punish them. NULL: never asked (filed before the
    # questions, or an emergency whose report stopped before them), which means do not name.
    may_name_to_facility: Mapped[bool | None] = mapped_column(Boolean)
    fears_retaliation: Mapped[bool | None] = mapped_column(Boolean)
    # The review form's one-time token: a double tap on "send" finds the case it already made.
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # NULL while a report stored at the emergency screen waits for the rest of its steps.
    completed_at: Mapped[datetime | None]
    # A case manager's few lines on what matters (casework.write_summary), who wrote them last and when.
    summary: Mapped[str | None] = mapped_column(String(600))
    summary_by: Mapped[str | None] = mapped_column(String(100))
    summary_at: Mapped[datetime | None]
    # Milestones the reports measure, kept on the case so a million cases need no read of their events;
    # set where the workflow moves the case (cases.record_milestones): the first time staff acted on it,
    # and when it was closed with an outcome (NULL again when reopened).
    first_action_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    @property
    def pin_locked(self) -> bool:
        """Whether wrong PINs from several kiosks keep the case shut at every kiosk right now."""
        return self.pin_locked_until is not None and self.pin_locked_until > utcnow()

    facility: Mapped[Facility] = relationship()
    housing_unit: Mapped[HousingUnit | None] = relationship()
    detainee: Mapped[Detainee | None] = relationship()
    assigned_to: Mapped[StaffUser | None] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )
    trusted_contacts: Mapped[list[TrustedContact]] = relationship(
        back_populates="case", order_by="TrustedContact.id"
    )
    share_codes: Mapped[list[ShareCode]] = relationship(back_populates="case", order_by="ShareCode.id")


class PinTry(Base):
    """Wrong PINs typed at one kiosk for one case, or for a number that named no case (as its digest):
    they slow that kiosk down for that case; they do not shut the case for everyone."""

    __tablename__ = "pin_tries"
    __table_args__ = (
        UniqueConstraint("case_id", "kiosk_id"),
        UniqueConstraint("typed_digest", "kiosk_id"),
        CheckConstraint("(case_id IS NULL) <> (typed_digest IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    typed_digest: Mapped[str | None] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    wait_until: Mapped[datetime | None]  # no try from this kiosk is looked at before then


class EventKind(Code):
    FILED = "filed"
    STATUS_CHANGED = "status_changed"
    DETAINEE_MESSAGE = "detainee_message"
    REPLY = "reply"
    CONTACT_ADDED = "contact_added"
    CONTACT_REVOKED = "contact_revoked"
    SHARE_CODE_CREATED = "share_code_created"
    SHARE_CODE_REVOKED = "share_code_revoked"
    NOTE = "note"                          # staff only
    ASSIGNED = "assigned"                  # staff only: a supervisor assigned it, or a case manager took it
    UNASSIGNED = "unassigned"              # staff only: its case manager released it back to the queue
    DUE_CHANGED = "due_changed"            # staff only
    FACILITY_CONTACT = "facility_contact"  # staff only: whom, how, what the facility said
    LINKED = "linked"                      # staff only: a manual link to another case
    UNLINKED = "unlinked"                  # staff only
    COMPLETED = "completed"                # staff only: the rest of a report stored at the emergency screen
    ALERT_ACKNOWLEDGED = "alert_acknowledged"  # staff only: a person saw the emergency alert
    ALERT_ESCALATED = "alert_escalated"    # staff only: nobody had; on-call phones or supervisors were texted

    @property
    def label(self) -> str:
        # "Completed" alone would read as the case closed, not as the report finished.
        return "Report completed" if self is EventKind.COMPLETED else super().label


class CaseEvent(Base):
    """One line of a case's timeline: a status change, a message, an authorization."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[EventKind] = mapped_column(CodeText(EventKind, 32))
    actor: Mapped[str] = mapped_column(String(100))
    status_from: Mapped[CaseStatus | None] = mapped_column(CodeText(CaseStatus, 32))
    status_to: Mapped[CaseStatus | None] = mapped_column(CodeText(CaseStatus, 32))
    body: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    visible_to_detainee: Mapped[bool] = mapped_column(Boolean, default=True)
    # A detainee's later message carries its form's one-time token: a double tap adds it once.
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")


class CaseLink(Base):
    """A case manager's judgement that two cases are about the same problem.

    Stored once per pair, the smaller case id first, so a link has one row whichever
    side it was made from.
    """

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "linked_case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    linked_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrustedContact(Base):
    """A phone number the detainee authorized to follow one case by text."""

    __tablename__ = "trusted_contacts"
    __table_args__ = (UniqueConstraint("case_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="trusted_contacts")


class ShareCode(Base):
    """A code the detainee chose to give out; whoever holds it may ask the case's status."""

    __tablename__ = "share_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(4))  # last characters, so the detainee can tell codes apart
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="share_codes")


class StaffRole(Code):
    CASE_MANAGER = "case_manager"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"
    INTERPRETER = "interpreter"  # sees only the texts sent to them (kiosk/core/interpreting.py)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(CodeText(StaffRole, 32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped whenever the account is deactivated or activated: a session signed in before is no longer valid.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Login throttling lives here, so every web process sees the same count.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    # Texted when an emergency is not acknowledged in time (supervisors); optional.
    phone: Mapped[str | None] = mapped_column(String(20))

    facilities: Mapped[list[Facility]] = relationship(secondary="staff_facilities")


class SavedFilter(Base):
    """A set of queue filters a person named and keeps (kiosk/core/saved_filters.py).

    Each one takes one of its owner's numbered slots: the unique slot and its bounds make the
    database itself refuse a filter past the limit, however many saves arrive at once."""

    __tablename__ = "saved_filters"
    __table_args__ = (
        UniqueConstraint("owner_id", "name"),
        UniqueConstraint("owner_id", "slot", name="uq_saved_filters_owner_slot"),
        CheckConstraint("slot BETWEEN 1 AND 30", name="slot_within_limit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    slot: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[str] = mapped_column(String(400))  # the queue's query string, as the queue wrote it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffFacility(Base):
    """Which facilities a case manager works; supervisors see all of them."""

    __tablename__ = "staff_facilities"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)


class AuditEntry(Base):
    """Append-only: database triggers refuse UPDATE and DELETE on this table."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class EmergencyAlert(Base):
    """An emergency that staff must see: raised with the case, open until a person acknowledges it."""

    __tablename__ = "emergency_alerts"
    # Every console page asks for the open alerts of its facilities every few seconds: a small partial index.
    __table_args__ = (
        Index("ix_emergency_alerts_open", "facility_id", "id",
              postgresql_where=text("acknowledged_at IS NULL"), sqlite_where=text("acknowledged_at IS NULL")),
        # The Reports page's share acknowledged within 15 minutes, by month of a period.
        Index("ix_emergency_alerts_raised", "raised_at", "facility_id", "acknowledged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    kind: Mapped[EmergencyKind] = mapped_column(CodeText(EmergencyKind, 32))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    escalations: Mapped[int] = mapped_column(Integer, default=0)  # steps taken: 1 on-call phones, 2 supervisors

    case: Mapped[Case] = relationship()
    acknowledged_by: Mapped[StaffUser | None] = relationship()


class AlertText(Base):
    """One escalation text for one alert and one phone: the unique pair means nothing is sent twice."""

    __tablename__ = "alert_texts"
    __table_args__ = (UniqueConstraint("alert_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("emergency_alerts.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(20))
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("sms_outbound.id"))  # NULL: the phone opted out
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranslationStatus(Code):
    PENDING = "pending"
    DONE = "done"
    UNAVAILABLE = "unavailable"  # no package for the pair, nor a pivot through English


class Translation(Base):
    """One text of a case in another language: the machine's, or a person's correction beside it.

    ``event_id`` is NULL for the complaint's own words; otherwise the message it translates.
    """

    __tablename__ = "translations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"), index=True)
    source_language: Mapped[str] = mapped_column(String(16))
    target_language: Mapped[str] = mapped_column(String(16))
    source_text: Mapped[str] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[TranslationStatus] = mapped_column(CodeText(TranslationStatus, 16),
                                                      default=TranslationStatus.PENDING)
    human: Mapped[bool] = mapped_column(Boolean, default=False)
    # For machine translation: the package(s) and version(s) that made it; for a person: who.
    made_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship()


class InterpretationStatus(Code):
    REQUESTED = "requested"
    DONE = "done"
    CANCELLED = "cancelled"


# An interpretation still waiting for its person; the unique indexes below say "one per text".
OPEN_INTERPRETATION = text("status = 'requested'")


class Interpretation(Base):
    """A person asked to translate one text of a case: an interpreter account, or a telephone
    interpreting service (its reference recorded) whose translation a staff member enters.

    ``event_id`` is NULL for the complaint's own words; otherwise the message or reply. Done, it
    names the human Translation it made."""

    __tablename__ = "interpretations"
    __table_args__ = (
        # One open request per text: a double submit, or two people at once, asks once.
        Index("ix_interpretations_open_words", "case_id", unique=True,
              postgresql_where=text("event_id IS NULL AND status = 'requested'"),
              sqlite_where=text("event_id IS NULL AND status = 'requested'")),
        Index("ix_interpretations_open_event", "event_id", unique=True,
              postgresql_where=OPEN_INTERPRETATION, sqlite_where=OPEN_INTERPRETATION),
        CheckConstraint("(interpreter_id IS NULL) <> (vendor_reference IS NULL)", name="one_interpreter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))
    source_language: Mapped[str] = mapped_column(String(16))
    target_language: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    interpreter_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    vendor_reference: Mapped[str | None] = mapped_column(String(64))  # the telephone service's reference
    status: Mapped[InterpretationStatus] = mapped_column(CodeText(InterpretationStatus, 16),
                                                         default=InterpretationStatus.REQUESTED, index=True)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_by: Mapped[str | None] = mapped_column(String(100))  # who entered the translation, or cancelled
    finished_at: Mapped[datetime | None]
    translation_id: Mapped[int | None] = mapped_column(ForeignKey("translations.id"))

    case: Mapped[Case] = relationship()
    interpreter: Mapped[StaffUser | None] = relationship()


class JobStatus(Code):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # every attempt failed: visible, never silent


class Job(Base):
    """Slow work (translation, outbound SMS), stored in the transaction of the change that needs it."""

    __tablename__ = "jobs"
    # A daily job waits in one copy only: however many workers start, or a run schedules the next
    # while a worker starting schedules one too (kiosk.core.jobs.schedule_once).
    __table_args__ = (
        Index("ix_jobs_one_queued_daily", "kind", unique=True,
              postgresql_where=text("status = 'queued' AND kind = 'find_patterns'"),
              sqlite_where=text("status = 'queued' AND kind = 'find_patterns'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(CodeText(JobStatus, 16), default=JobStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lease_until: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class SmsSender(Base):
    """A phone number that texts us: its language, its opt-out, its lockout."""

    __tablename__ = "sms_senders"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(16))  # chosen with LANG
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SmsInbound(Base):
    """Every message Twilio delivered, once: a retried webhook gets the answer already given."""

    __tablename__ = "sms_inbound"

    message_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    # A STATUS or FOLLOW that named no case this number may see: five in an hour lock the number.
    failed_lookup: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CaseFollower(Base):
    """A number that asked to be told by text whenever a case's status changes."""

    __tablename__ = "case_followers"
    __table_args__ = (UniqueConstraint("case_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsOutbound(Base):
    """A text we send, through a job; its delivery state only moves forward."""

    __tablename__ = "sms_outbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[int | None] = mapped_column(Integer)
    # The staff reply this text carries to whoever reported the case (sms/replies.py): unique, so a
    # retried job never texts the same reply twice.
    reply_event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SmsConversation(Base):
    """A NEW report in progress, one question at a time; it lapses after 24 hours."""

    __tablename__ = "sms_conversations"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    step: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime]


class WebSession(Base):
    """Server-side session data; the browser only holds a random id whose digest is the key."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    surface: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Bumped by every write of data: a request writes only if nobody wrote since it read (kiosk/web/sessions.py).
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AudioRecording(Base):
    """A person's recording of one phrase of the kiosk in one language; it replaces the synthetic
    voice. Every upload is a new version; the newest one not withdrawn is the one the kiosk plays.
    Kept in the database with the rest: a recording is small (Opus, a few KB a second) and is
    then backed up, restored and replicated with everything else."""

    __tablename__ = "audio_recordings"
    __table_args__ = (UniqueConstraint("language", "phrase_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(16))
    phrase_key: Mapped[str] = mapped_column(String(40))  # kiosk/audio/phrases.py
    version: Mapped[int] = mapped_column(Integer)
    clip: Mapped[bytes] = mapped_column(LargeBinary)   # Ogg Opus, re-encoded on upload
    seconds: Mapped[float] = mapped_column(Float)
    digest: Mapped[str] = mapped_column(String(64))    # names the clip for the kiosk's browser cache
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column()

    uploaded_by: Mapped[StaffUser] = relationship()


class VoiceRecording(Base):
    """A complaint (or a message added to one) said aloud at the kiosk. It waits under the draft's
    submission token until Send, then belongs to the case in the same transaction as the case or
    the message; one never sent is deleted with its session (kiosk/core/voice.py)."""

    __tablename__ = "voice_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_token: Mapped[str | None] = mapped_column(String(64), index=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"))
    # The language the kiosk spoke to the person: the one they likely spoke (K'iche' on a Spanish screen).
    language: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))  # a message added later
    clip: Mapped[bytes] = mapped_column(LargeBinary)  # Ogg Opus, re-encoded on arrival
    seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RateAlert(Base):
    """Complaints of one category at one facility jumped above that facility's own baseline beyond
    chance (kiosk/core/rate_alerts.py). One alert covers a surge: seen again the next week, the same
    alert is extended rather than a new one raised. The cases behind it are those filed at the
    facility in the category between window_start and window_end."""

    __tablename__ = "rate_alerts"
    __table_args__ = (UniqueConstraint("facility_id", "category", "first_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    first_week: Mapped[date]  # the Monday of the week it was first seen
    last_week: Mapped[date]   # the Monday of the latest week it was seen
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    # The latest look: complaints in the last weeks, what the baseline predicted, the baseline's own count.
    recent: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    baseline: Mapped[int] = mapped_column(Integer)
    p_value: Mapped[float] = mapped_column(Float)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    dismissed_at: Mapped[datetime | None]
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    dismiss_reason: Mapped[str | None] = mapped_column(Text)

    facility: Mapped[Facility] = relationship()
    dismissed_by: Mapped[StaffUser | None] = relationship()


class GroupStatus(Code):
    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class SimilarGroup(Base):
    """Cases whose English reads alike, filed within days of each other, whatever their language or
    facility: suggested by the daily job, confirmed or dismissed by a person
    (kiosk/core/similar_complaints.py)."""

    __tablename__ = "similar_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[GroupStatus] = mapped_column(CodeText(GroupStatus, 16), default=GroupStatus.SUGGESTED, index=True)
    suggested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    reason: Mapped[str | None] = mapped_column(Text)  # why it was dismissed

    decided_by: Mapped[StaffUser | None] = relationship()


class SimilarGroupCase(Base):
    """One case of a group; a case is in one group at most (a dismissed group's cases are not
    suggested again)."""

    __tablename__ = "similar_group_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("similar_groups.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    similarity: Mapped[float] = mapped_column(Float)  # mean cosine to the group's other cases when it joined
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class IssueSource(Code):
    RATE_ALERT = "rate_alert"
    SIMILAR_GROUP = "similar_group"
    BY_HAND = "by_hand"


class SystemicIssue(Base):
    """Cases at one or several facilities that are one problem, to be referred to oversight
    (kiosk/core/systemic_issues.py). Made from an alert or a group at most once: a second click
    on "make an issue" finds the first one (the unique constraint; NULLs, by hand, never clash). By
    hand, the form's token does the same for a double-submitted form."""

    __tablename__ = "systemic_issues"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[IssueSource] = mapped_column(CodeText(IssueSource, 16), default=IssueSource.BY_HAND)
    source_id: Mapped[int | None] = mapped_column(Integer)  # the rate alert's or the similar group's id
    # By hand: the token of the form it was made from, so a double-submitted form makes it once.
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(100))    # the actor, as the audit log names them
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SystemicIssueCase(Base):
    __tablename__ = "systemic_issue_cases"
    __table_args__ = (UniqueConstraint("issue_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("systemic_issues.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReferralState(Code):
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    INSPECTION_SCHEDULED = "inspection_scheduled"
    FINDINGS_RECEIVED = "findings_received"
    CLOSED = "closed"


class Referral(Base):
    """A systemic issue sent to whoever may act on it, with a due date and what became of it."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_state_due_at", "state", "due_at"),
        # One open referral of an issue to one recipient: a double-submitted form refers it once.
        Index("ix_referrals_one_open", "issue_id", "recipient", unique=True,
              postgresql_where=text("state != 'closed'"), sqlite_where=text("state != 'closed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("systemic_issues.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(32))  # a unit of kiosk/core/systemic_issues.py or a field office code
    due_at: Mapped[datetime]                            # the end of the due day in due_zone, in UTC
    due_zone: Mapped[str] = mapped_column(String(64))
    state: Mapped[ReferralState] = mapped_column(CodeText(ReferralState, 32), default=ReferralState.SENT)
    outcome: Mapped[str | None] = mapped_column(Text)
    sent_by: Mapped[str] = mapped_column(String(100))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    issue: Mapped[SystemicIssue] = relationship()


class ReferralChange(Base):
    """Every state a referral went through: who moved it, when, and their note."""

    __tablename__ = "referral_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    state_from: Mapped[ReferralState | None] = mapped_column(CodeText(ReferralState, 32))
    state_to: Mapped[ReferralState] = mapped_column(CodeText(ReferralState, 32))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
