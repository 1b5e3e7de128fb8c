"""Demo data for a developer's machine: facilities, a kiosk, staff and sample cases.

Loading twice changes nothing but the demo kiosk's enrollment URL, which is
fresh every time so that a newcomer's browser can become the demo kiosk.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core import hotlines, kiosks, milestones
from kiosk.core.credentials import SecretHasher, digest
from kiosk.core.db import Database
from kiosk.core.identifiers import case_number
from kiosk.core.models import (
    Case, CaseEvent, CaseStatus, Channel, Detainee, EventKind, Facility, FacilityPopulation, Hotline, HotlineKind,
    HousingUnit, Kiosk, OnCallNumber, OperatorType, ShareCode, StaffFacility, StaffRole, StaffUser, Submitter,
    TrustedContact, utcnow,
)
from kiosk.core.triage import emergency_kind, triage

FACILITIES = [
    ("RBP", "Riverbend Processing Center", "America/Chicago", ["A-1", "A-2", "B-1"]),
    ("PHD", "Pine Hollow Detention Facility", "America/New_York", ["1", "2"]),
    ("DGS", "Desert Gate Service Center", "America/Phoenix", ["North", "South"]),
]

# What rates and routing need: the field office, who runs it, its average daily population since a date.
CONTEXT = {"RBP": ("SNA", OperatorType.CDF, 640), "PHD": ("PHI", OperatorType.IGSA, 210),
           "DGS": ("PHO", OperatorType.SPC, 380)}
POPULATION_SINCE = date(2026, 1, 1)

HOTLINES = [
    (None, HotlineKind.OMBUDSMAN, "+1 202-555-0143", "7701"),
    (None, HotlineKind.SEXUAL_ABUSE, "+1 202-555-0186", "7702"),
    (None, HotlineKind.OVERSIGHT, "+1 800-555-0199", "7703"),
    ("RBP", HotlineKind.EMERGENCY, "+1 512-555-0110", "0"),
    ("RBP", HotlineKind.MEDICAL, "+1 512-555-0111", "2"),
    ("PHD", HotlineKind.EMERGENCY, "+1 717-555-0120", "0"),
    ("DGS", HotlineKind.EMERGENCY, "+1 520-555-0130", "0"),
]

# Texted (simulated without Twilio settings) when an emergency there is not acknowledged in time.
ON_CALL = [("RBP", "+15125550140", "Duty officer, Riverbend"), ("PHD", "+17175550141", "Duty officer, Pine Hollow")]
SUPERVISOR_PHONE = "+12025550142"

STAFF = [
    ("admin", "Ada Administrator", StaffRole.ADMINISTRATOR, "demo-admin-password", []),
    ("supervisor", "Sam Supervisor", StaffRole.SUPERVISOR, "demo-supervisor-password", []),
    ("casemanager", "Chris Case Manager", StaffRole.CASE_MANAGER, "demo-casemanager-password", ["RBP"]),
    ("casemanager2", "Dana Case Manager", StaffRole.CASE_MANAGER, "demo-casemanager2-password", ["PHD", "DGS"]),
]

# (serial, facility, unit, language, category, answers, A-number, PIN, share code, words, status, reply)
CASES = [
    (1001, "RBP", "A-1", "es", "medical",
     {"urgent": "yes", "since": "today", "raised_with_facility": "told_staff"},
     "201234567", "2468", "40170001",
     "Tengo dolor en el pecho desde anoche. Pedí ver al médico y no me llevaron. "
     "Necesito mi medicina para la presión.",
     CaseStatus.IN_REVIEW, "Hemos hablado con el servicio médico del centro. Un médico la verá hoy."),
    (1002, "RBP", "A-2", "ar", "legal_access",
     {"urgent": "no", "since": "this_week", "raised_with_facility": "grievance_filed"},
     None, "1357", "40170002",
     "الهاتف في الوحدة لا يعمل منذ أسبوع ولا أستطيع الاتصال بمحاميّ.",
     CaseStatus.NEW, None),
    (1003, "PHD", "1", "ht", "living_conditions",
     {"urgent": "no", "since": "this_month", "raised_with_facility": "not_yet"},
     "209876543", "8642", "40170003",
     "Twalèt yo bouche depi plizyè jou epi li fè frèt anpil lannwit.",
     CaseStatus.FACILITY_CONTACTED, None),
    (1004, "DGS", "North", "zh_Hans", "food",
     {"urgent": "no", "since": "longer", "raised_with_facility": "told_staff"},
     "098765432", "9753", "40170004",
     "我对花生过敏，但是饭菜里经常有花生。我已经告诉了工作人员。",
     CaseStatus.ACKNOWLEDGED, None),
    (1005, "RBP", "B-1", "pa", "property",
     {"urgent": "no", "since": "this_month", "raised_with_facility": "told_staff"},
     "187654321", "5170", "40170005",
     "ਮੇਰੇ ਕਾਗਜ਼ ਅਤੇ ਮੇਰੀ ਘੜੀ ਦਾਖਲੇ ਵੇਲੇ ਲੈ ਲਏ ਗਏ ਸਨ ਅਤੇ ਵਾਪਸ ਨਹੀਂ ਕੀਤੇ ਗਏ।",
     CaseStatus.NEW, None),
]


def _get_or_add(session: Session, model, defaults: dict | None = None, **keys):
    found = session.scalar(select(model).filter_by(**keys))
    if found is None:
        found = model(**keys, **(defaults or {}))
        session.add(found)
        session.flush()
    return found


def load(database: Database, hasher: SecretHasher) -> dict:
    with database.transaction() as session:
        facilities, units = {}, {}
        for code, name, tz, unit_names in FACILITIES:
            field_office, operator, population = CONTEXT[code]
            facilities[code] = _get_or_add(session, Facility, {"name": name, "timezone": tz, "field_office": field_office,
                                                               "operator_type": operator}, code=code)
            _get_or_add(session, FacilityPopulation, {"population": population, "entered_by": "demo"},
                        facility_id=facilities[code].id, as_of=POPULATION_SINCE)
            for unit_name in unit_names:
                units[(code, unit_name)] = _get_or_add(session, HousingUnit, facility_id=facilities[code].id, name=unit_name)
        for facility_code, kind, number, free_code in HOTLINES:
            facility_id = facilities[facility_code].id if facility_code else None
            _get_or_add(session, Hotline, {"free_call_code": free_code,
                                           "shown_for": [str(k) for k in hotlines.SHOWN_FOR_BY_DEFAULT[kind]]},
                        facility_id=facility_id, kind=kind, number=number)

        for facility_code, phone, name in ON_CALL:
            _get_or_add(session, OnCallNumber, {"name": name}, facility_id=facilities[facility_code].id, phone=phone)

        staff = []
        for username, display_name, role, password, facility_codes in STAFF:
            user = session.scalar(select(StaffUser).where(StaffUser.username == username))
            if user is None:
                user = StaffUser(username=username, display_name=display_name, role=role,
                                 password_hash=hasher.hash(password),
                                 phone=SUPERVISOR_PHONE if role == StaffRole.SUPERVISOR else None)
                session.add(user)
                session.flush()
                for code in facility_codes:
                    session.add(StaffFacility(staff_id=user.id, facility_id=facilities[code].id))
            staff.append({"username": username, "password": password, "role": role, "facilities": facility_codes})

        demo_unit = units[("RBP", "A-1")]
        # A demo kiosk an administrator revoked stays revoked: the demo registers a new one.
        kiosk = _get_or_add(session, Kiosk, {"facility_id": demo_unit.facility_id}, label="Demo kiosk RBP A-1",
                            housing_unit_id=demo_unit.id, revoked_at=None)
        enrollment_token = kiosks.issue_enrollment(session, kiosk, actor="demo")

        made_cases = [_demo_case(session, hasher, facilities, units, kiosk, row) for row in CASES]
    return {
        "facilities": [{"code": c, "name": n, "housing_units": u} for c, n, _tz, u in FACILITIES],
        "staff": staff,
        "cases": made_cases,
        "kiosk_enrollment_token": enrollment_token,
    }

# The answers about retaliation (may the facility be told the name, fears retaliation) of some demo
# cases, so the console shows each kind of banner; the others were filed before the questions.
PROTECTION = {1001: (True, False), 1003: (False, True), 1004: (True, True)}


def _demo_case(session, hasher, facilities, units, kiosk, row) -> dict:
    serial, facility_code, unit_name, language, category, answers, a_number, pin, share_code, words, status, reply = row
    now = utcnow()
    number = case_number(now.year, serial)
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        decision = triage(category, answers)
        filed_at = now - timedelta(hours=30)
        case = Case(
            number=number, facility_id=facilities[facility_code].id, housing_unit_id=units[(facility_code, unit_name)].id,
            kiosk_id=kiosk.id if unit_name == "A-1" and facility_code == "RBP" else None,
            detainee=_get_or_add(session, Detainee, a_number=a_number) if a_number else None,
            channel=Channel.KIOSK, submitted_by=Submitter.DETAINEE, language=language, category=category, answers=answers,
            description=words, is_emergency=decision.is_emergency, emergency_kind=emergency_kind(category, answers),
            priority=decision.priority, due_at=decision.due_at(filed_at), status=status, pin_hash=hasher.hash(pin),
            created_at=filed_at, updated_at=filed_at, completed_at=filed_at,
        )
        case.may_name_to_facility, case.fears_retaliation = PROTECTION.get(serial, (None, None))
        session.add(case)
        case.events.append(CaseEvent(kind=EventKind.FILED, actor="demo", status_to=CaseStatus.NEW, language=language, created_at=filed_at))
        if status != CaseStatus.NEW:
            case.events.append(CaseEvent(kind=EventKind.STATUS_CHANGED, actor="demo", status_from=CaseStatus.NEW,
                                         status_to=status, created_at=filed_at + timedelta(hours=2)))
            milestones.acted_on(case, filed_at + timedelta(hours=2), status=status)  # what the reports measure
        if reply:
            case.events.append(CaseEvent(kind=EventKind.REPLY, actor="demo", body=reply, language=language,
                                         created_at=filed_at + timedelta(hours=3)))
            milestones.acted_on(case, filed_at + timedelta(hours=3))
        case.share_codes.append(ShareCode(code_hash=digest(share_code), hint=share_code[-2:], created_at=filed_at))
        if serial == 1001:
            case.trusted_contacts.append(TrustedContact(phone="+15125550199", added_at=filed_at))
        session.flush()
    return {
        "case_number": number,
        "language": language,
        "facility": facility_code,
        "category": category,
        "a_number": a_number,
        "pin": pin,
        "share_code": share_code,
        "trusted_phones": ["+15125550199"] if serial == 1001 else [],
        "emergency": case.is_emergency,
    }
