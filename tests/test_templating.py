"""Templates folded at compile time (kiosk/web/templating.py) render exactly as written.

Every template is captured with the context a real request gave it, then rendered again
in every language twice: folded (fixed texts and constant globals written in when the
template was compiled) and as written (everything looked up at render time). The two
must be identical.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import g, template_rendered
from jinja2 import meta
from sqlalchemy import select, update

from kiosk.app import create_app
from kiosk.core import kiosks
from kiosk.core.identifiers import case_number
from kiosk.core.languages import LANGUAGES
from kiosk.core.models import Case, FacilityPopulation, RateAlert, Referral, SimilarGroup, SimilarGroupCase, utcnow
from tests.helpers import (
    BrowserClient, answer_protection, check_kiosks, create_staff, facility_morning, register_kiosk, signed_in, staff_id,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# What Flask's own context processor adds; a new request context adds them again.
PER_REQUEST = ("g", "request", "session", "config")
# What a view left on g for the template (the signed-in account, the kiosk), not the request's own.
REQUEST_OWN = ("db_session", "csrf_token", "locale")


def _captured(template, context) -> tuple[str, dict, dict]:
    kept = {k: v for k, v in vars(context["g"]).items() if k not in REQUEST_OWN}
    return template.name, {k: v for k, v in context.items() if k not in PER_REQUEST}, kept


@pytest.fixture
def rendered(app):
    """Every (template name, context) the app renders while the fixture is in use."""
    seen: list[tuple[str, dict, dict]] = []

    def record(_app, template, context, **_extra):
        seen.append(_captured(template, context))

    template_rendered.connect(record, app)
    yield seen
    template_rendered.disconnect(record, app)


def _kiosk_pages(app, database) -> None:
    client = BrowserClient(app.test_client())
    client.get("/kiosk/")  # not enrolled: not_set_up.html
    client.get(f"/kiosk/enroll/{register_kiosk(database)}")
    client.get("/kiosk/")
    client.choose_language("es")
    for answers in ({"safety_kind": "sexual_abuse", "urgent": "yes"}, {"safety_kind": "detainee_violence", "urgent": "yes"},
                    {"safety_kind": "other_danger", "urgent": "no"}):
        client.get("/kiosk/file", follow_redirects=True)
        client.post("/kiosk/file/who", {"a_number": "201234567"}, follow_redirects=True)
        client.post("/kiosk/file/category", {"choice": "safety"}, follow_redirects=True)
        for key, value in answers.items():
            client.post(f"/kiosk/file/question/{key}", {"choice": value}, follow_redirects=True)
        client.post("/kiosk/file/question/since", {"choice": "today"}, follow_redirects=True)
        client.post("/kiosk/file/question/raised_with_facility", {"choice": "not_yet"}, follow_redirects=True)
        client.post("/kiosk/file/pin", {"pin": "2468"}, follow_redirects=True)
        client.post("/kiosk/file/pin-again", {"pin": "2468"}, follow_redirects=True)
        client.post("/kiosk/file/words", {"description": "Me amenazan."}, follow_redirects=True)
        answer_protection(client)
        client.post("/kiosk/file/review", {"submission": client.submission_token()}, follow_redirects=True)
        client.get("/kiosk/finish")
    client.get("/kiosk/track")
    client.post("/kiosk/track", {"identifier": "201234567"})
    client.post("/kiosk/track/pin", {"pin": "2468"}, follow_redirects=True)  # two cases: my_cases.html
    with database.sessions() as session:
        number = session.scalars(select(Case.number)).first()
    client.get(f"/kiosk/case/{number}")
    client.get(f"/kiosk/case/{number}/message")
    client.post("/kiosk/file/who", {"a_number": "201234567"}, csrf=False)  # a stale form: problem.html


def _staff_pages(app, database) -> None:
    create_staff(app, "ada", "administrator")
    with database.sessions() as session:
        number = session.scalars(select(Case.number)).first()
        facility_id = session.scalar(select(Case.facility_id))
    check_kiosks(app, facility_morning(days=3))  # the kiosk is shown as silent on every page, and on its facility's
    client = signed_in(app, "ada")
    for path in ("/staff/", f"/staff/case/{number}", f"/staff/case/{number}/translation",
                 f"/staff/case/{number}/audit", f"/staff/case/{number}/print", "/staff/audit",
                 "/staff/admin/accounts", "/staff/admin/facilities", f"/staff/admin/facilities/{facility_id}",
                 "/staff/admin/hotlines", "/staff/admin/hotlines/1", "/staff/admin/packages",
                 "/staff/admin/facilities/999999", "/staff/emergencies", "/staff/admin/audio",
                 "/staff/admin/audio/es"):
        client.get(path)
    client.get(f"/staff/case/{number}")
    client.post(f"/staff/case/{number}/links", {"other": case_number(26, 1), "reason": "same"})  # no such case
    client.get(f"/staff/admin/facilities/{facility_id}")
    with database.sessions() as session:
        unit_id = kiosks.find_unit(session, "TST", "B-2").id
    client.post(f"/staff/admin/facilities/{facility_id}/kiosks", {"unit": unit_id, "label": "B-2 kiosk"})
    create_staff(app, "ivan", "interpreter", ["TST"])  # an interpreter's inbox and the page they translate on
    with database.sessions() as session:
        spanish = session.scalars(select(Case.number).where(Case.language == "es")).first()
    client.get(f"/staff/case/{spanish}")
    client.post(f"/staff/case/{spanish}/interpretation", {
        "text": "case", "language": "es", "due_at": f"{utcnow() + timedelta(days=1):%Y-%m-%d %H:%M}",
        "to": str(staff_id(database, "ivan"))})
    interpreter = signed_in(app, "ivan")
    interpreter.get("/staff/interpretation/1")
    interpreter.get("/staff/interpretations")
    client.get("/staff/interpretations")
    alert_id, group_id = _patterns(database)  # the Patterns page, an alert and a group of similar complaints
    for path in ("/staff/patterns", f"/staff/patterns/alerts/{alert_id}", f"/staff/patterns/similar/{group_id}"):
        client.get(path)
    client.post(f"/staff/patterns/alerts/{alert_id}/issue")  # a systemic issue, referred, overdue, its packet
    client.post("/staff/issues/1/referrals", {"recipient": "detention_oversight", "due": f"{utcnow():%Y-%m-%d}",
                                              "zone": "UTC"})
    with database.transaction() as session:
        session.execute(update(Referral).values(due_at=utcnow() - timedelta(days=1)))
    for path in ("/staff/issues", "/staff/issues/1", "/staff/referrals/1/packet"):
        client.get(path)
    client.get("/staff/reports")  # every chart over the cases there are

    create_staff(app, "chris", "case_manager", ["TST"])  # a case manager's queue: take, release, saved filters
    manager = signed_in(app, "chris")
    manager.get("/staff/?overdue=1")
    manager.post("/staff/filters", {"name": "Overdue", "query": "overdue=1"})
    manager.get(f"/staff/case/{number}")
    manager.post(f"/staff/case/{number}/take")
    manager.get("/staff/")


def _patterns(database) -> tuple[int, int]:
    """A rate alert and a suggested group over the cases there are, with a population for the rates."""
    with database.transaction() as session:
        case = session.scalars(select(Case)).first()
        start, now = utcnow() - timedelta(days=28), utcnow()
        session.add(FacilityPopulation(facility_id=case.facility_id, as_of=start.date(), population=300,
                                       entered_by="test"))
        alert = RateAlert(facility_id=case.facility_id, category=case.category, first_week=start.date(),
                          last_week=start.date(), window_start=start, window_end=now, recent=9, expected=2.1,
                          baseline=27, p_value=3e-5)
        group = SimilarGroup()
        session.add_all([alert, group])
        session.flush()
        session.add_all(SimilarGroupCase(group_id=group.id, case_id=found, similarity=0.7)
                        for found in session.scalars(select(Case.id).limit(2)))
        return alert.id, group.id


@pytest.fixture
def development(config):
    """The app as `make run` serves it, with the SMS simulator (/dev/sms)."""
    app = create_app(config.with_changes(env="development"))
    yield app
    app.extensions["database"].dispose()


def _referenced(environment, name: str) -> set[str]:
    """The template and every template it extends, includes or imports, transitively."""
    found, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        source = environment.loader.get_source(environment, current)[0]
        todo.extend(ref for ref in meta.find_referenced_templates(environment.parse(source)) if ref)
    return found


def _both_ways(app, name: str, context: dict, on_g: dict, code: str, path: str) -> tuple[str, str]:
    """The template rendered folded and as written, in one request (so with one CSRF token)."""
    with app.test_request_context(path):
        vars(g).update(on_g)
        g.locale = code
        values = dict(context)
        app.update_template_context(values)
        return tuple(environment.get_template(name).render(values)
                     for environment in (app.jinja_env.for_language(), app.jinja_env.as_written()))


def test_every_template_renders_the_same_folded_and_as_written_in_every_language(app, development, database, place,
                                                                                rendered):
    _kiosk_pages(app, database)
    _staff_pages(app, database)
    with template_rendered.connected_to(lambda _a, template, context, **_e: dev.append(_captured(template, context)),
                                        development):
        dev = []
        development.test_client().get("/dev/sms")
    captured = [(app, *entry) for entry in rendered] + [(development, *entry) for entry in dev]

    every = {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")}
    covered = set().union(*(_referenced(app.jinja_env, name) for _app, name, _context, _g in captured))
    assert covered == every, f"never rendered: {sorted(every - covered)}"

    last = {name: (renderer, context, on_g) for renderer, name, context, on_g in captured}  # the last of each
    for name, (renderer, context, on_g) in last.items():
        path = "/" + name.split("/")[0] + "/"  # kiosk/..., staff/..., dev/...: a path of that surface
        for language in LANGUAGES:
            folded, as_written = _both_ways(renderer, name, context, on_g, language.code, path)
            assert folded == as_written, f"{name} in {language.code} differs when folded"


def test_a_name_the_template_binds_is_never_folded(app):
    """A macro argument, a loop target or a {% set %} named like a global means the local value."""
    source = ('{% macro show(icon) %}{{ icon("back") }}{% endmacro %}{{ show(made_up) }}'
              '|{% for _ in [made_up] %}{{ _("Back") }}{% endfor %}'
              '|{% set static_url = made_up %}{{ static_url("kiosk.css") }}')
    with app.test_request_context("/kiosk/"):
        g.locale = "es"
        folded = app.jinja_env.for_language().from_string(source).render(made_up=lambda *_: "local")
        as_written = app.jinja_env.as_written().from_string(source).render(made_up=lambda *_: "local")
    assert folded == as_written == "local|local|local"


def test_folding_writes_the_translation_and_the_icon_into_the_compiled_code(app):
    with app.test_request_context("/kiosk/"):
        g.locale = "es"
        code = app.jinja_env.for_language().compile('{{ _("Back") }} {{ icon("back") }}', raw=True)
    assert "Atrás" in code and '<svg class="icon" aria-hidden="true"' in code
    assert "'_'" not in code and "'icon'" not in code  # neither is looked up when the page renders
