"""Filing a complaint on the kiosk, screen by screen, with the database checked after each step."""
from __future__ import annotations

from sqlalchemy import func, select

from kiosk.core.models import AuditEntry, Case, Detainee
from tests.helpers import answer_protection, choose_pin, count, draft_of, file_complaint, start_filing, translated


def test_spanish_complaint_step_by_step(kiosk, database):
    """Each tap shows the next screen, in Spanish, and keeps the answer in the server-side draft."""
    page = kiosk.choose_language("es")
    assert page.request.path == "/kiosk/home"
    assert '<html lang="es" dir="ltr">' in page.text
    assert translated("es", "What do you want to do?") in page.text
    assert translated("es", "Make a complaint") in page.text

    kiosk.get("/kiosk/file", follow_redirects=True)
    assert kiosk.last.request.path == "/kiosk/file/who"

    page = kiosk.post("/kiosk/file/who", {"a_number": "20123456 7"}, follow_redirects=True)
    assert page.request.path == "/kiosk/file/category"
    assert draft_of(database)["a_number"] == "201234567"

    page = kiosk.post("/kiosk/file/category", {"choice": "legal_access"}, follow_redirects=True)
    assert draft_of(database)["category"] == "legal_access"
    assert page.request.path == "/kiosk/file/question/urgent"

    screens = {"urgent": "/kiosk/file/question/since", "since": "/kiosk/file/question/raised_with_facility",
               "raised_with_facility": "/kiosk/file/pin"}
    for key, value in {"urgent": "no", "since": "this_week", "raised_with_facility": "grievance_filed"}.items():
        page = kiosk.post(f"/kiosk/file/question/{key}", {"choice": value}, follow_redirects=True)
        assert page.request.path == screens[key]
        assert draft_of(database)["answers"][key] == value

    page = kiosk.post("/kiosk/file/pin", {"pin": "2468"}, follow_redirects=True)
    assert page.request.path == "/kiosk/file/pin-again"
    draft = draft_of(database)
    assert "2468" not in str(draft) and draft["pin_hash"].startswith("$argon2id$")

    page = kiosk.post("/kiosk/file/pin-again", {"pin": "2468"}, follow_redirects=True)
    assert page.request.path == "/kiosk/file/words"
    assert draft_of(database)["pin_confirmed"] is True

    words = "El teléfono de la unidad no funciona.\nNo puedo llamar a mi abogado."
    page = kiosk.post("/kiosk/file/words", {"description": words}, follow_redirects=True)
    assert page.request.path == "/kiosk/file/protection/may_name"
    assert draft_of(database)["description"] == words
    assert translated("es", "May we tell the facility your name when we ask them to fix this?") in page.text
    assert translated("es", "If you say no, we will not tell them who you are.") in page.text

    page = kiosk.post("/kiosk/file/protection/may_name", {"choice": "no"}, follow_redirects=True)
    assert page.request.path == "/kiosk/file/protection/fears_retaliation"
    assert translated("es", "Are you afraid that staff will punish you for complaining?") in page.text
    review = kiosk.post("/kiosk/file/protection/fears_retaliation", {"choice": "yes"}, follow_redirects=True)
    assert review.request.path == "/kiosk/file/review"
    assert draft_of(database)["protection"] == {"may_name": "no", "fears_retaliation": "yes"}
    assert translated("es", "Check and send") in review.text
    assert "El teléfono de la unidad no funciona." in review.text
    assert count(database, Case) == 0

    receipt = kiosk.post("/kiosk/file/review", {"submission": kiosk.submission_token()}, follow_redirects=True)
    assert receipt.request.path == "/kiosk/receipt"
    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.language == "es"
        assert case.category == "legal_access"
        assert case.answers == {"urgent": "no", "since": "this_week", "raised_with_facility": "grievance_filed"}
        assert case.description == words
        assert case.detainee.a_number == "201234567"
        assert case.may_name_to_facility is False and case.fears_retaliation is True
        assert case.channel == "kiosk" and case.submitted_by == "detainee"
        assert case.housing_unit.name == "A-1" and case.facility.code == "TST"
        assert not case.is_emergency and case.priority == 2
        assert (case.due_at - case.created_at).days == 5
        assert [e.kind for e in case.events] == ["filed"]
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "case.filed")).case_id == case.id
    assert translated("es", "Your complaint was sent") in receipt.text
    assert case.number in receipt.text
    assert draft_of(database) == {}


def test_arabic_complaint_renders_right_to_left_and_is_stored(kiosk, database):
    page = kiosk.choose_language("ar")
    assert '<html lang="ar" dir="rtl">' in page.text
    words = "الهاتف لا يعمل منذ أسبوع."
    receipt = file_complaint(kiosk, language="ar", a_number=None, category="legal_access", words=words)
    assert receipt.request.path == "/kiosk/receipt"
    assert 'dir="rtl"' in receipt.text
    # Inside right-to-left sentences, numbers keep their order ("+1555…", not "…1555+").
    assert '<bdi dir="ltr">(555) 555-0100</bdi>' in receipt.text
    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.language == "ar" and case.detainee_id is None and case.description == words
        assert session.scalar(select(func.count()).select_from(Detainee)) == 0


def test_medical_emergency_shows_help_at_once_and_is_flagged(kiosk, database):
    start_filing(kiosk, "es", category="medical")
    page = kiosk.post("/kiosk/file/question/urgent", {"choice": "yes"}, follow_redirects=True)
    assert page.request.path == "/kiosk/file/emergency"
    assert "+1 512-555-0110" in page.text
    for key, value in {"since": "today", "raised_with_facility": "told_staff"}.items():
        kiosk.post(f"/kiosk/file/question/{key}", {"choice": value})
    choose_pin(kiosk)
    kiosk.post("/kiosk/file/words", {"description": ""})
    answer_protection(kiosk)
    receipt = kiosk.post("/kiosk/file/review", {"submission": kiosk.submission_token()}, follow_redirects=True)
    assert receipt.request.path == "/kiosk/receipt"
    assert "+1 512-555-0110" in receipt.text
    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.is_emergency and case.priority == 0
        assert (case.due_at - case.created_at).total_seconds() <= 24 * 3600


def test_sexual_abuse_is_an_emergency_and_shows_the_hotline(kiosk, database):
    start_filing(kiosk, "en", category="safety")
    page = kiosk.post("/kiosk/file/question/safety_kind", {"choice": "sexual_abuse"}, follow_redirects=True)
    assert page.request.path == "/kiosk/file/emergency"
    assert "+1 202-555-0186" in page.text and "You do not have to say your name" in page.text
    # The line outside the facility comes before any advice to tell staff.
    assert page.text.index("+1 202-555-0186") < page.text.index("Or tell a staff member you trust.")


def test_double_tap_on_send_files_one_case(kiosk, database):
    file_complaint(kiosk)
    token_page = kiosk.last
    assert token_page.request.path == "/kiosk/receipt"
    # The same submission again, as a second tap would send it.
    with database.sessions() as session:
        token = session.scalars(select(Case.submission_token)).one()
    again = kiosk.post("/kiosk/file/review", {"submission": token}, follow_redirects=True)
    assert again.request.path == "/kiosk/receipt"
    assert count(database, Case) == 1


def test_screens_cannot_be_skipped(kiosk, database):
    kiosk.choose_language("es")
    page = kiosk.get("/kiosk/file/review", follow_redirects=True)
    assert page.request.path == "/kiosk/file/who"
    page = kiosk.post("/kiosk/file/review", {"submission": "made-up"}, follow_redirects=True)
    assert page.request.path == "/kiosk/file/who"
    assert count(database, Case) == 0


def test_changing_the_category_forgets_the_old_answers(kiosk, database):
    start_filing(kiosk, "en", category="food")
    kiosk.post("/kiosk/file/question/urgent", {"choice": "no"})
    kiosk.post("/kiosk/file/category", {"choice": "safety"})
    draft = draft_of(database)
    assert draft["category"] == "safety" and draft["answers"] == {}
    page = kiosk.get("/kiosk/file/review", follow_redirects=True)
    assert page.request.path == "/kiosk/file/question/safety_kind"
