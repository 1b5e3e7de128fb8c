"""Interpreters: the role, requests to a person or a telephone service, credit, and "needs interpreter".

No language package is installed unless a test installs one (a tiny genuine es->en package built in
the run), so the worker marks what it cannot translate, as it would on a fresh installation.
"""
from __future__ import annotations

import re
from datetime import timedelta
from html import escape

import pytest
from sqlalchemy import func, select, text

from kiosk.core import cases, migrate
from kiosk.core.categories import answers_in_english, category_label
from kiosk.core.db import make_engine
from kiosk.core.models import Case, CaseEvent, Interpretation, Translation, utcnow
from tests.argos_package import build_package
from tests.helpers import (
    PASSWORD, audit_rows, count, create_staff, file_complaint, filed_case, open_message_form, run_worker, signed_in, staff_id,
    track,
)

WORDS = "Me duele la muela desde hace una semana y nadie me atiende."
ANSWERS = {"urgent": "no", "since": "this_week", "raised_with_facility": "not_yet"}
A_NUMBER = "201234567"


@pytest.fixture(scope="module")
def spanish_package(tmp_path_factory):
    return build_package(tmp_path_factory.mktemp("argos"), "es", "en", version="1.0", seed=1)


@pytest.fixture
def interpreters(app, people):
    """Two interpreters at TST, one at OTH."""
    create_staff(app, "ivan", "interpreter", ["TST"], display_name="Ivan Interpreter")
    create_staff(app, "ines", "interpreter", ["TST"], display_name="Ines Other")
    create_staff(app, "olga", "interpreter", ["OTH"], display_name="Olga Elsewhere")
    return people


def due(days=1) -> str:
    """A due time as the form holds it (the facility's time; a day ahead whatever the zone)."""
    return f"{utcnow() + timedelta(days=days):%Y-%m-%d %H:%M}"


def ask(client, number, **fields):
    """A request for an interpretation from the case page; returns the page it comes back to."""
    client.get(f"/staff/case/{number}")
    form = {"text": "words", "language": "es", "due_at": due(), "to": "phone", "reference": ""} | fields
    return client.post(f"/staff/case/{number}/interpretation", form, follow_redirects=True).get_data(as_text=True)


def flagged(database, number) -> bool:
    with database.sessions() as session:
        return session.scalar(select(Case.needs_interpreter).where(Case.number == number))


def queue_counts(client) -> tuple[str, str]:
    """What the queue says about interpreters: the count above it, and the filtered list."""
    counted = re.search(r"Need an interpreter: (\d+)", client.get("/staff/").get_data(as_text=True)).group(1)
    return counted, client.get("/staff/?interpreter=1").get_data(as_text=True)


def filed_without_package(app, kiosk, database, **kwargs) -> str:
    file_complaint(kiosk, **kwargs)
    run_worker(app)  # no package: the worker marks it for a person
    return filed_case(database).number


# --- the interpreter role ------------------------------------------------------------------

def test_an_interpreter_reads_only_what_was_sent_to_them_and_is_credited(app, kiosk, database, interpreters):
    number = filed_without_package(app, kiosk, database, a_number=A_NUMBER, words=WORDS, answers=ANSWERS)
    with database.transaction() as session:  # a relative's report by text, with a name and a phone number
        reported = cases.file_for_detainee(
            session, phone="+15125550123", relationship="family", facility_id=interpreters["TST"], language="es",
            category="medical", description="Mi hermano Rodrigo Alvarez necesita un médico.",
            a_number="209876543", detainee_name="Rodrigo Alvarez")
        reported_number = reported.number
    run_worker(app)
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{number}")
    chris.post(f"/staff/case/{number}/note", {"note": "Officer Brandt on B shift may be retaliating."})
    ivan_id = staff_id(database, "ivan")
    assert "Interpretation requested for 1 text(s)." in ask(chris, number, to=str(ivan_id))
    assert "Interpretation requested for 1 text(s)." in ask(chris, reported_number, to=str(ivan_id))
    with database.sessions() as session:
        sent, sent_report = [row.id for row in session.scalars(select(Interpretation).order_by(Interpretation.id))]

    ivan = signed_in(app, "ivan")
    assert ivan.last.headers["Location"].endswith("/staff/interpretations")  # not the queue: that is not theirs
    inbox = ivan.get("/staff/interpretations").get_data(as_text=True)
    assert "Texts to translate" in inbox and f"/staff/interpretation/{sent}" in inbox
    assert number not in inbox and "Triage queue" not in inbox

    page = ivan.get(f"/staff/interpretation/{sent}").get_data(as_text=True)
    assert escape(WORDS, quote=False) in page and category_label("food") in page
    for question, answer in answers_in_english(ANSWERS):
        assert escape(question, quote=False) in page and escape(answer, quote=False) in page
    for secret in (A_NUMBER, number, "Brandt", "B shift"):
        assert secret not in page
    report_page = ivan.get(f"/staff/interpretation/{sent_report}").get_data(as_text=True)
    assert "necesita un médico" in report_page
    for secret in ("209876543", reported_number, "5125550123", "512-555-0123", "(512) 555-0123", "family"):
        assert secret not in report_page

    ivan.post(f"/staff/interpretation/{sent}/translation", {"text": "My tooth has hurt for a week."})
    case_page = chris.get(f"/staff/case/{number}").get_data(as_text=True)
    assert "English. Translated by Ivan Interpreter" in case_page and "My tooth has hurt for a week." in case_page
    assert not flagged(database, number)
    with database.sessions() as session:
        human = session.scalars(select(Translation).where(Translation.human.is_(True))).one()
        assert (human.made_by, human.text) == (f"staff:{ivan_id}", "My tooth has hurt for a week.")
    assert ("staff:%d" % ivan_id, "interpretation.viewed", number) in audit_rows(database, "interpretation.")
    assert ("staff:%d" % ivan_id, "interpretation.done", number) in audit_rows(database, "interpretation.")
    assert ("staff:%d" % ivan_id, "interpretations.viewed", None) in audit_rows(database, "interpretations.")
    # Done, the request is no longer theirs to open; a second submit stores nothing.
    assert ivan.get(f"/staff/interpretation/{sent}").status_code == 403
    assert count(database, Translation, Translation.human.is_(True)) == 1


def test_everything_else_is_refused_to_an_interpreter_audited_in_the_console_layout(app, kiosk, database,
                                                                                    interpreters):
    number = filed_without_package(app, kiosk, database)
    chris = signed_in(app, "chris")
    ask(chris, number, to=str(staff_id(database, "ivan")))
    with database.sessions() as session:
        sent = session.scalar(select(Interpretation.id))
    ivan, ines = signed_in(app, "ivan"), signed_in(app, "ines")
    for path in ("/staff/", f"/staff/case/{number}", f"/staff/case/{number}/export.json", "/staff/export.csv",
                 f"/staff/case/{number}/translation", "/staff/emergencies", "/staff/alerts", "/staff/audit",
                 "/staff/admin/accounts", "/staff/no-such-page"):
        response = ivan.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 403, path
        assert "Not allowed" in page and "Texts to translate" in page and "Triage queue" not in page
        assert number not in page
    assert ivan.post(f"/staff/case/{number}/note", {"note": "x"}).status_code == 403
    assert ivan.post(f"/staff/case/{number}/interpretation", {"text": "words"}).status_code == 403
    refused = [row for row in audit_rows(database, "staff.view_refused") if row[0] == f"staff:{staff_id(database, 'ivan')}"]
    assert len(refused) == 12
    # Another interpreter of the same facility may not read what was sent to Ivan.
    assert ines.get(f"/staff/interpretation/{sent}").status_code == 403
    assert ines.post(f"/staff/interpretation/{sent}/translation", {"text": "mine"}).status_code == 403
    assert [row[:2] for row in audit_rows(database, "interpretation.view_refused")] == [
        (f"staff:{staff_id(database, 'ines')}", "interpretation.view_refused")] * 2
    assert "Nothing is waiting for you." in ines.get("/staff/interpretations").get_data(as_text=True)
    assert count(database, Translation, Translation.human.is_(True)) == 0


def test_an_administrator_creates_an_interpreter_for_a_facility(app, ada, database):
    ada.get("/staff/admin/accounts")
    page = ada.post("/staff/admin/accounts", {"username": "ivo", "display_name": "Ivo Interpreter",
                                               "role": "interpreter", "facility": "TST",
                                               "password": PASSWORD}, follow_redirects=True)
    assert "Account created." in page.get_data(as_text=True)
    row = re.search(r"<tr><td>ivo</td>.*?</tr>", page.get_data(as_text=True), re.S).group(0)
    assert "Interpreter" in row and "TST" in row
    assert signed_in(app, "ivo").get("/staff/interpretations").status_code == 200


# --- "needs interpreter" ---------------------------------------------------------------------

def test_the_flag_clears_and_returns_as_texts_arrive_and_are_translated(app, kiosk, database, people, runner,
                                                                       spanish_package):
    chris = signed_in(app, "chris")
    spanish = filed_without_package(app, kiosk, database, language="es", words="Tengo frío.")
    assert flagged(database, spanish)
    counted, listed = queue_counts(chris)
    assert counted == "1" and spanish in listed

    # A package arrives and the worker translates what waited: the flag clears by itself.
    assert runner.invoke(args=["translate", "install", str(spanish_package)]).exit_code == 0
    run_worker(app)
    assert not flagged(database, spanish)
    counted, listed = queue_counts(chris)
    assert counted == "0" and spanish not in listed

    # Portuguese has no package: a person's translation clears it, a new message brings it back.
    kiosk.get("/kiosk/finish")
    portuguese = filed_without_package(app, kiosk, database, language="pt", words="Estou com frio.")
    assert flagged(database, portuguese) and queue_counts(chris)[0] == "1"
    with database.sessions() as session:
        machine = session.scalar(select(Translation.id).join(Case).where(Case.number == portuguese))
    chris.get(f"/staff/case/{portuguese}")
    chris.post(f"/staff/case/{portuguese}/translation/{machine}/correct", {"text": "I am cold."})
    assert not flagged(database, portuguese) and queue_counts(chris)[0] == "0"

    track(kiosk, portuguese, "2468", language="pt")
    token = open_message_form(kiosk, portuguese)
    kiosk.post(f"/kiosk/case/{portuguese}/message", {"words": "Ainda não tenho cobertor.", "submission": token})
    assert not flagged(database, portuguese)  # the machine has not tried yet
    run_worker(app)
    assert flagged(database, portuguese)
    counted, listed = queue_counts(chris)
    assert counted == "1" and portuguese in listed and spanish not in listed

    # The telephone service translates the message; a staff member enters it.
    with database.sessions() as session:
        message = session.scalar(select(CaseEvent.id).where(CaseEvent.kind == "detainee_message"))
    page = ask(chris, portuguese, text=str(message), language="pt", reference="LL-4471")
    assert "Interpretation requested for 1 text(s)." in page and "Telephone interpreting service, ref LL-4471" in page
    with database.sessions() as session:
        sent = session.scalar(select(Interpretation.id))
    chris.post(f"/staff/interpretation/{sent}/translation", {"text": "I still have no blanket."})
    page = chris.get(f"/staff/case/{portuguese}").get_data(as_text=True)
    assert "Telephone interpreting service, ref LL-4471, entered by Chris" in page and "I still have no blanket." in page
    assert not flagged(database, portuguese) and queue_counts(chris)[0] == "0"

    # A Spanish message now translates by machine: no flag at any point after the worker.
    track(kiosk, spanish, "2468", language="es")
    token = open_message_form(kiosk, spanish)
    kiosk.post(f"/kiosk/case/{spanish}/message", {"words": "Sigo con frío.", "submission": token})
    run_worker(app)
    assert not flagged(database, spanish)


def test_a_back_translation_no_package_can_make_does_not_mark_the_case(app, kiosk, database, people, runner,
                                                                      spanish_package):
    """Only es->en is installed: a reply into Spanish waits (no en->es), its back-translation is no text."""
    runner.invoke(args=["translate", "install", str(spanish_package)])
    number = filed_without_package(app, kiosk, database, language="es", words="Tengo frío.")
    assert not flagged(database, number)
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{number}")
    chris.post(f"/staff/case/{number}/reply", {"reply": "We asked for blankets."})
    run_worker(app)
    assert flagged(database, number)  # the reply has no Spanish


# --- requests ----------------------------------------------------------------------------------

def test_bad_requests_are_answered_with_a_sentence_and_store_nothing(app, kiosk, database, interpreters):
    number = filed_without_package(app, kiosk, database)
    chris, dana = signed_in(app, "chris"), signed_in(app, "dana")
    ivan = str(staff_id(database, "ivan"))
    cases_of_refusal = [
        ({"language": "xx", "to": ivan}, "Choose the language the interpreter translates"),
        ({"language": "en", "to": ivan}, "Choose the language the interpreter translates"),
        ({"due_at": "2020-01-01 10:00", "to": ivan}, "due between now and 60 days from now"),
        ({"due_at": due(days=400), "to": ivan}, "due between now and 60 days from now"),
        ({"due_at": "tomorrow", "to": ivan}, "Write when it is due like"),
        ({"due_at": "99999-01-01 10:00", "to": ivan}, "Write when it is due like"),
        ({"due_at": "", "to": ivan}, "Write when it is due like"),
        ({"to": "9" * 40}, "Choose an interpreter"),
        ({"to": "0"}, "Choose an interpreter"),
        ({"to": "-3"}, "Choose an interpreter"),
        ({"to": "phone", "reference": ""}, "Choose an interpreter, or the telephone interpreting service"),
        ({"to": "phone", "reference": "R" * 65}, "at most 64 characters"),
        ({"to": str(staff_id(database, "olga"))}, "Olga Elsewhere is not an interpreter at this facility."),
        ({"to": str(staff_id(database, "dana"))}, "Dana is not an interpreter at this facility."),
        ({"text": "9" * 40, "to": ivan}, "Choose a text of this case that needs translating."),
        ({"text": "2147483647", "to": ivan}, "Choose a text of this case that needs translating."),
        ({"text": "", "to": ivan}, "Choose a text of this case that needs translating."),
    ]
    for fields, sentence in cases_of_refusal:
        page = ask(chris, number, **fields)
        assert escape(sentence, quote=False).replace("&#x27;", "&#39;") in page, (fields, page[-2000:])
    for field in ("reference", "language", "due_at", "text", "to"):  # a NUL anywhere: refused before any view
        chris.get(f"/staff/case/{number}")
        response = chris.post(f"/staff/case/{number}/interpretation",
                              {"text": "words", "language": "es", "due_at": due(), "to": "phone",
                               "reference": "ref"} | {field: "a\x00b"})
        assert response.status_code == 400 and "Nothing was saved" in response.get_data(as_text=True)
    # Another facility's case: refused like any other change to it, and audited.
    dana.get("/staff/interpretations")
    response = dana.post(f"/staff/case/{number}/interpretation",
                         {"text": "words", "language": "es", "due_at": due(), "to": "phone", "reference": "X"})
    assert response.status_code == 403 and "at a facility you do not work" in response.get_data(as_text=True)
    assert audit_rows(database, "case.change_refused")[-1] == (f"staff:{staff_id(database, 'dana')}",
                                                               "case.change_refused", number)
    assert count(database, Interpretation) == 0


def test_a_double_submit_asks_once(app, kiosk, database, interpreters):
    number = filed_without_package(app, kiosk, database)
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{number}")
    form = {"text": "case", "language": "es", "due_at": due(), "to": str(staff_id(database, "ivan"))}
    chris.post(f"/staff/case/{number}/interpretation", form)
    again = chris.post(f"/staff/case/{number}/interpretation", form, follow_redirects=True).get_data(as_text=True)
    assert "has a person&#39;s translation or an open request already" in again
    again = chris.post(f"/staff/case/{number}/interpretation", form | {"text": "words"},
                       follow_redirects=True).get_data(as_text=True)
    assert "This text is with an interpreter already" in again
    assert count(database, Interpretation) == 1
    # Cancelled, it may be asked again.
    with database.sessions() as session:
        sent = session.scalar(select(Interpretation.id))
    chris.post(f"/staff/interpretation/{sent}/cancel")
    assert "Request cancelled." in chris.get(f"/staff/case/{number}").get_data(as_text=True)
    chris.post(f"/staff/case/{number}/interpretation", form | {"text": "words"})
    assert count(database, Interpretation) == 2
    # Ivan cannot enter a translation for the cancelled one.
    ivan = signed_in(app, "ivan")
    ivan.get("/staff/interpretations")
    assert ivan.post(f"/staff/interpretation/{sent}/translation", {"text": "late"}).status_code == 403


def test_a_reply_with_no_package_waits_for_the_interpreter_and_is_released_after(app, kiosk, database,
                                                                                   interpreters):
    number = filed_without_package(app, kiosk, database, language="es", a_number=A_NUMBER, pin="2468")
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{number}")
    chris.post(f"/staff/case/{number}/reply", {"reply": "A dentist will see you on Monday."})
    run_worker(app)  # no en->es package
    with database.sessions() as session:
        reply = session.scalar(select(CaseEvent.id).where(CaseEvent.kind == "reply"))
    page = chris.post(f"/staff/case/{number}/reply/{reply}/release", follow_redirects=True).get_data(as_text=True)
    assert "The reply has no translation yet" in page
    assert "A dentist" not in track(kiosk, number, "2468").get_data(as_text=True)

    assert "Interpretation requested for 1 text(s)." in ask(chris, number, text=str(reply),
                                                           to=str(staff_id(database, "ivan")))
    with database.sessions() as session:
        sent = session.scalars(select(Interpretation)).one()
        assert (sent.source_language, sent.target_language) == ("en", "es")
    ivan = signed_in(app, "ivan")
    page = ivan.get(f"/staff/interpretation/{sent.id}").get_data(as_text=True)
    assert "Translate from English into Spanish" in page and "A dentist will see you on Monday." in page
    ivan.post(f"/staff/interpretation/{sent.id}/translation", {"text": "Un dentista la verá el lunes."})

    page = chris.get(f"/staff/case/{number}").get_data(as_text=True)
    assert "Translated by Ivan Interpreter" in page and "Release the reply" in page
    chris.post(f"/staff/case/{number}/reply/{reply}/release")
    assert "Un dentista la verá el lunes." in track(kiosk, number, "2468").get_data(as_text=True)


# --- the interpreter list ----------------------------------------------------------------------

def test_the_list_page_and_kioskctl_agree_per_language_oldest_first(app, kiosk, database, interpreters, runner):
    numbers = []
    for language, words in (("pt", "Estou com frio."), ("es", "Tengo frío."), ("pt", "Não tenho água.")):
        numbers.append(filed_without_package(app, kiosk, database, language=language, words=words))
        kiosk.get("/kiosk/finish")
    sam = signed_in(app, "sam")
    ask(sam, numbers[1], to="phone", reference="VEND-9")
    page = sam.get("/staff/interpretations").get_data(as_text=True)
    assert re.search(r"Portuguese: 2 waiting.*Spanish: 1 waiting", page, re.S)
    on_page = re.findall(r'href="/staff/case/([\d-]+)"', page)
    assert on_page == [numbers[0], numbers[2], numbers[1]]
    assert "telephone interpreting service, ref VEND-9" in page and page.count("not asked of anyone yet") == 2
    listed = runner.invoke(args=["translate", "interpreter-list"]).output.splitlines()
    assert [line.split()[0] for line in listed] == on_page
    assert "asked of telephone service ref VEND-9, due" in listed[2] and listed[0].split()[1] == "pt"
    # A case manager sees only their facilities' texts.
    assert "Nothing waits for an interpreter." in signed_in(app, "dana").get("/staff/interpretations").get_data(
        as_text=True)


# --- the migration -----------------------------------------------------------------------------

def test_migration_0015_goes_down_and_up_again(database_url):
    url = database_url  # this test's own copy (SQLite) or schema (PostgreSQL), at head again at the end
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO staff_users (username, display_name, password_hash, role, active, session_generation, "
                "created_at, failed_logins) VALUES ('ivan', 'Ivan', 'x', 'interpreter', true, 0, "
                "CURRENT_TIMESTAMP, 0)"))
        migrate.downgrade(url, "0014")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT active FROM staff_users WHERE username = 'ivan'")).scalar() in (
                False, 0)  # no role the older version knows: switched off, not deleted
            with pytest.raises(Exception):
                connection.execute(text("SELECT count(*) FROM interpretations"))
        migrate.upgrade(url)
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(Interpretation.__table__)).scalar() == 0
    finally:
        engine.dispose()
