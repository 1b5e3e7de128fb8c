"""What the tests share: a client that keeps CSRF on, factories, and the actions people take.

After CTFd's tests/helpers.py: fixtures live in conftest.py, everything else a test
needs from another lives here, so no test module imports another.
"""
from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, time, timedelta, timezone
from functools import lru_cache
from html import escape
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from kiosk.core import kiosks, staff_accounts
from kiosk.core.identifiers import case_number
from kiosk.core.models import AuditEntry, Case, CaseEvent, StaffUser, WebSession, utcnow
from kiosk.core.triage import triage
from sms import segments

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission" type="hidden" value="([^"]*)"')
MESSAGE_SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')


# --- a browser ------------------------------------------------------------------------

class BrowserClient:
    """A test client that behaves like a browser: each form it posts carries the CSRF token
    of the last page it was shown. CSRF protection stays on in every test."""

    def __init__(self, client):
        self.client = client
        self.csrf_token = None
        self.last = None

    def _remember(self, response):
        self.last = response
        if response.mimetype == "text/html":
            found = CSRF.search(response.get_data(as_text=True))
            if found:
                self.csrf_token = found.group(1)
        return response

    def get(self, path, **kwargs):
        return self._remember(self.client.get(path, **kwargs))

    def post(self, path, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf and "csrf_token" not in data and self.csrf_token:
            data["csrf_token"] = self.csrf_token
        return self._remember(self.client.post(path, data=data, **kwargs))

    @property
    def text(self) -> str:
        return self.last.get_data(as_text=True)

    def submission_token(self) -> str:
        return SUBMISSION.search(self.text).group(1)

    def choose_language(self, code):
        return self.get(f"/kiosk/language/{code}", follow_redirects=True)


# --- what a page or a text says -------------------------------------------------------

@lru_cache(maxsize=None)
def _catalog(locale: str):
    with open(f"translations/{locale}/LC_MESSAGES/messages.po", "rb") as po:
        return read_po(po)


def catalog_text(locale: str, message: str, **values) -> str:
    """The catalog's translation of a message, as plain text."""
    found = _catalog(locale).get(message)
    assert found is not None and found.string, f"{message!r} is not translated into {locale}"
    return found.string % values if values else found.string


def translated(locale: str, message: str, **values) -> str:
    """The catalog's translation of a message, as the page should show it (HTML-escaped)."""
    return escape(catalog_text(locale, message, **values), quote=False)


def texted(locale: str, message: str, **values) -> str:
    """The catalog's translation of a message, as a text message carries it (GSM-7 where it can be,
    cut to two segments)."""
    return segments.fit(catalog_text(locale, message, **values))


# --- reading the database -------------------------------------------------------------

def count(database, model, *where) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def draft_of(database) -> dict:
    """The server-side draft of the only kiosk session."""
    with database.sessions() as session:
        rows = session.scalars(select(WebSession)).all()
    assert len(rows) == 1
    return rows[0].data.get("draft", {})


def filed_case(database) -> Case:
    """The case filed last."""
    with database.sessions() as session:
        return session.scalars(select(Case).order_by(Case.id.desc())).first()


def staff_id(database, username):
    with database.sessions() as session:
        return session.scalar(select(StaffUser.id).where(StaffUser.username == username))


def audit_rows(database, action_prefix="") -> list[tuple[str, str, str | None]]:
    """(actor, action, case number) of the audit entries whose action starts so, oldest first."""
    with database.sessions() as session:
        rows = session.execute(select(AuditEntry.actor, AuditEntry.action, Case.number)
                               .outerjoin(Case, Case.id == AuditEntry.case_id)
                               .where(AuditEntry.action.like(f"{action_prefix}%")).order_by(AuditEntry.id))
        return [tuple(row) for row in rows]


def audited(database, action: str) -> list[AuditEntry]:
    """The audit entries of one action, oldest first."""
    with database.sessions() as session:
        return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def exported_json(client, number) -> dict:
    """The JSON record of a case, as a staff member downloads it."""
    response = client.get(f"/staff/case/{number}/export.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data(as_text=True))


# --- factories ------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"
ROUTINE = {"urgent": "no", "since": "today", "raised_with_facility": "not_yet"}


def register_kiosk(database, unit_name="A-1") -> str:
    """Registers a kiosk for a housing unit of the test facility; returns its one-time enrollment token."""
    with database.transaction() as session:
        unit = kiosks.find_unit(session, "TST", unit_name)
        _kiosk, token = kiosks.register(session, unit, f"kiosk {unit_name}", actor="test")
    return token


def is_a_working_kiosk(client) -> bool:
    """Whether a browser is shown the kiosk's first screen, not 'This kiosk is not set up'."""
    page = client.get("/kiosk/")
    return page.status_code == 200 and "Choose your language" in page.get_data(as_text=True)


def enrolled_kiosk(app, unit_name="A-1") -> BrowserClient:
    """A browser enrolled as the kiosk of a housing unit of the test facility."""
    client = BrowserClient(app.test_client())
    response = client.get(f"/kiosk/enroll/{register_kiosk(app.extensions['database'], unit_name)}")
    assert response.status_code == 302
    return client


def create_staff(app, username, role, facility_codes=(), display_name=None) -> None:
    with app.extensions["database"].transaction() as session:
        staff_accounts.create(session, app.extensions["secret_hasher"], username=username,
                              display_name=display_name or username.title(), role=role, password=PASSWORD,
                              facility_codes=list(facility_codes), actor="test")


def add_case(database, facility_id, number, category, answers, words="words", hours_ago=1):
    """A case as the kiosk would have filed it, without going through the kiosk."""
    decision = triage(category, answers)
    filed = utcnow() - timedelta(hours=hours_ago)
    with database.transaction() as session:
        session.add(Case(number=number, facility_id=facility_id, language="es", category=category, answers=answers,
                         description=words, is_emergency=decision.is_emergency, priority=decision.priority,
                         due_at=decision.due_at(filed), created_at=filed, updated_at=filed, completed_at=filed))


def add_cases(database, facility_id, category, count, first_serial):
    """Many routine cases at once; each filed an hour later than the one before, so the queue's order is theirs."""
    decision = triage(category, ROUTINE)
    start = utcnow() - timedelta(hours=count + 1)
    numbers = [case_number(2026, first_serial + i) for i in range(count)]
    with database.transaction() as session:
        session.add_all([Case(number=number, facility_id=facility_id, language="es", category=category,
                              answers=ROUTINE, description="words", is_emergency=False, priority=decision.priority,
                              due_at=decision.due_at(start + timedelta(hours=i)), created_at=start, updated_at=start, completed_at=start)
                         for i, number in enumerate(numbers)])
    return numbers


def add_reply(database, case_id, body):
    """A case manager's reply, already released to the detainee, and an internal event they must not see."""
    with database.transaction() as session:
        case = session.get(Case, case_id)
        case.status = "in_review"
        case.events.append(CaseEvent(kind="status_changed", actor="staff:1", status_from="new", status_to="in_review"))
        case.events.append(CaseEvent(kind="reply", actor="staff:1", body=body, language=case.language))
        case.events.append(CaseEvent(kind="status_changed", actor="staff:1", body="internal note",
                                     visible_to_detainee=False))


# --- what a detainee does at the kiosk ------------------------------------------------

def start_filing(kiosk, language="en", a_number=None, category=None):
    """Language, who and (optionally) the category: the screens before the questions."""
    kiosk.choose_language(language)
    kiosk.get("/kiosk/file", follow_redirects=True)
    if a_number:
        kiosk.post("/kiosk/file/who", {"a_number": a_number})
    else:
        kiosk.post("/kiosk/file/who/anonymous")
    if category:
        kiosk.post("/kiosk/file/category", {"choice": category})


def choose_pin(kiosk, pin="3719"):
    """The PIN, twice: the screens after the questions."""
    kiosk.post("/kiosk/file/pin", {"pin": pin})
    kiosk.post("/kiosk/file/pin-again", {"pin": pin})


PROTECTION_SCREENS = {"/kiosk/file/protection/may_name": "may_name",
                      "/kiosk/file/protection/fears_retaliation": "fears"}


def answer_protection(kiosk, may_name=True, fears=False):
    """The questions about retaliation after the words page (only the fear when filed without a
    name); returns the page that follows them, the review."""
    said = {"may_name": may_name, "fears": fears}
    page = kiosk.get("/kiosk/file/review", follow_redirects=True)  # the first screen not yet answered
    while page.request.path in PROTECTION_SCREENS:
        answer = "yes" if said[PROTECTION_SCREENS[page.request.path]] else "no"
        page = kiosk.post(page.request.path, {"choice": answer}, follow_redirects=True)
    return page


PROTECTION_PAGE = re.compile(r".*/kiosk/file/(protection/\w+|review)$")


def tap_protection_answers(page, may_name=True, fears=False, on_each_screen=None):
    """The same questions by touch, in a browser that has just left the words page; ``on_each_screen``
    runs on each before its answer is tapped. Returns when the review is shown."""
    said = {"may_name": may_name, "fears_retaliation": fears}
    page.wait_for_url(PROTECTION_PAGE)
    while "/file/protection/" in page.url:
        left = page.url
        if on_each_screen:
            on_each_screen()
        page.locator(f"button.choice[value={'yes' if said[left.rsplit('/', 1)[-1]] else 'no'}]").click()
        page.wait_for_url(lambda url, left=left: url != left and PROTECTION_PAGE.match(url) is not None)
    page.wait_for_url("**/file/review")


def file_complaint(kiosk, *, language="es", a_number="201234567", pin="2468", category="food",
                   answers=None, words="La comida llega fría.", may_name=True, fears=False):
    """Every screen of a complaint, up to the receipt, which it returns."""
    answers = answers or {"urgent": "no", "since": "this_week", "raised_with_facility": "not_yet"}
    start_filing(kiosk, language, a_number, category)
    for key, value in answers.items():
        kiosk.post(f"/kiosk/file/question/{key}", {"choice": value})
    choose_pin(kiosk, pin)
    kiosk.post("/kiosk/file/words", {"description": words})
    answer_protection(kiosk, may_name, fears)
    return kiosk.post("/kiosk/file/review", {"submission": kiosk.submission_token()}, follow_redirects=True)


def track(kiosk, identifier, pin, language="es"):
    """The next person at the kiosk chooses their language and opens a case with its number (or their
    A-number) and PIN."""
    kiosk.get("/kiosk/finish")
    kiosk.choose_language(language)
    kiosk.get("/kiosk/track")
    kiosk.post("/kiosk/track", {"identifier": identifier})
    return kiosk.post("/kiosk/track/pin", {"pin": pin}, follow_redirects=True)


def open_message_form(kiosk, number) -> str:
    """Opens the form that adds to a complaint; returns its submission token."""
    page = kiosk.get(f"/kiosk/case/{number}/message")
    assert page.status_code == 200
    return MESSAGE_SUBMISSION.search(page.get_data(as_text=True)).group(1)


# --- what staff do --------------------------------------------------------------------

def signed_in(app, username, password=PASSWORD) -> BrowserClient:
    client = BrowserClient(app.test_client())
    client.get("/staff/sign-in")
    response = client.post("/staff/sign-in", {"username": username, "password": password})
    assert response.status_code == 302, client.text
    return client


# --- kioskctl --------------------------------------------------------------------------

class Kioskctl:
    """kioskctl as a test runs it: in process, against the test's app."""

    def __init__(self, cli_runner):
        self.cli_runner = cli_runner

    def invoke(self, args, **kwargs):
        from kiosk.cli import main

        return self.cli_runner.invoke(main, args, **kwargs)


# --- the worker -----------------------------------------------------------------------

def run_worker(app, at=None) -> int:
    """Carries out every job that is due, as `kioskctl worker --once` does; returns how many it claimed.
    ``at``: the worker's clock reads this moment (a delay passed without waiting for it)."""
    from kiosk.worker import Worker  # here, so that a test of a web process can use these helpers

    worker = Worker(app.extensions["database"], app.config["KIOSK"], name="test",
                    **({"clock": lambda: at} if at else {}))
    done = 0
    with app.app_context():
        while claimed := worker.run_once():
            done += claimed
    return done


def check_kiosks(app, at) -> list[int]:
    """The worker's once-a-minute look for silent kiosks, its clock reading ``at``; the kiosks it marked."""
    from kiosk.worker import Worker

    return Worker(app.extensions["database"], app.config["KIOSK"], name="test", clock=lambda: at).check_kiosks()


def facility_morning(zone="America/Chicago", days=2, hour=10):
    """10:00 at the facility a few days from now (UTC): waking hours, and later than any moment a
    test's kiosk was already seen at, whenever the test runs."""
    local = datetime.now(ZoneInfo(zone)).date() + timedelta(days=days)
    return datetime.combine(local, time(hour), ZoneInfo(zone)).astimezone(timezone.utc)


# --- a phone --------------------------------------------------------------------------

PUBLIC = "https://kiosk.example.org"  # what Twilio calls; the app sits behind a TLS proxy
TWILIO_TOKEN = "f" * 32
FAMILY = "+15125550123"
STRANGER = "+15125550999"
_MESSAGE_SIDS = itertools.count(1)


class Phone:
    """Texts the product the way Twilio delivers a message: a signed form post."""

    def __init__(self, app, number):
        self.client, self.number = app.test_client(), number

    def post(self, path, params, signature=None):
        signature = signature or RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + path, params)
        return self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})

    def text(self, body, sid=None) -> str | None:
        """Sends a text; returns the reply as the phone shows it (read from the TwiML as Twilio
        reads it), or None when there is none."""
        params = {"MessageSid": sid or f"SM{next(_MESSAGE_SIDS):032d}", "From": self.number,
                  "To": "+15555550100", "Body": body}
        response = self.post("/sms/twilio", params)
        assert response.status_code == 200, response.status_code
        twiml = ElementTree.fromstring(response.get_data())
        assert twiml.tag == "Response" and len(twiml) <= 1 and all(child.tag == "Message" for child in twiml)
        return twiml[0].text if len(twiml) else None


def report_by_text(app, number: str = FAMILY, words: str = "Mi hermano necesita un médico desde el lunes.") -> str:
    """A relative reports a problem by text in Spanish (NUEVO ... LISTO), as the family of an A-number
    at the test facility; returns the case number."""
    phone = Phone(app, number)
    for body in ("NUEVO", "1", "Test Detention", "A 209-876-543", "3", "1", "1", "1", "2", words):
        phone.text(body)
    reported = phone.text("LISTO")
    found = re.search(r"\d{2}-\d{4}-\d{4}", reported)
    assert found, reported
    return found.group(0)


def fits_two_segments(text: str) -> bool:
    """Whether a text goes out in at most two SMS segments, counted in its encoding: GSM-7 when
    every character is in the GSM alphabet (2 x 153 septets), otherwise UCS-2 (2 x 67 UTF-16 code units)."""
    gsm7 = all(ch in segments.GSM7_BASIC or ch in segments.GSM7_EXTENDED for ch in text)
    return segments.segments(text, "gsm7" if gsm7 else "ucs2") <= 2
