"""A shared kiosk leaves nothing behind, and only enrolled kiosks may be used."""
from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from kiosk.core.credentials import digest
from kiosk.core.db import make_engine
from kiosk.core.models import Kiosk, WebSession, utcnow
from tests.helpers import draft_of, enrolled_kiosk, is_a_working_kiosk, register_kiosk, translated


def sessions(database) -> list[WebSession]:
    with database.sessions() as session:
        return session.scalars(select(WebSession)).all()


def open_connections(database) -> int:
    """The app's open database connections: backends on PostgreSQL (counted from a connection
    of the test's own, closed again), open descriptors of the database file on SQLite."""
    if database.engine.dialect.name == "postgresql":
        counter = make_engine(database.engine.url.render_as_string(hide_password=False))
        try:
            with counter.connect() as connection:
                return connection.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND application_name = current_setting('application_name')"  # this run's
                    " AND pid <> pg_backend_pid()")).scalar()
        finally:
            counter.dispose()
    path = os.path.realpath(database.engine.url.database)
    return sum(os.path.realpath(f"/proc/self/fd/{fd}") == path for fd in os.listdir("/proc/self/fd"))


def start_a_draft(kiosk):
    kiosk.choose_language("es")
    kiosk.get("/kiosk/file", follow_redirects=True)
    kiosk.post("/kiosk/file/who", {"a_number": "201234567"})


def test_an_unenrolled_browser_is_told_the_kiosk_is_not_set_up(app, database, place):
    client = app.test_client()
    for path in ("/kiosk/", "/kiosk/home", "/kiosk/file/who", "/kiosk/track"):
        response = client.get(path)
        assert response.status_code == 403
        assert "This kiosk is not set up" in response.get_data(as_text=True)
    # It never had a page with a form, so a post has no CSRF token: refused before anything else.
    refused = client.post("/kiosk/file/who", data={"a_number": "201234567"})
    assert refused.status_code == 400 and "Nothing was saved." in refused.get_data(as_text=True)
    assert sessions(database) == []


def test_an_enrollment_url_works_once_and_records_the_place(app, database, place):
    token = register_kiosk(database, "B-2")
    first, second = app.test_client(), app.test_client()
    response = first.get(f"/kiosk/enroll/{token}")
    cookie = response.headers["Set-Cookie"]
    assert "kiosk_device=" in cookie and "HttpOnly" in cookie and "Path=/kiosk" in cookie
    assert is_a_working_kiosk(first)
    assert second.get(f"/kiosk/enroll/{token}").status_code == 404
    assert second.get("/kiosk/").status_code == 403
    with database.sessions() as session:
        kiosk = session.scalars(select(Kiosk)).one()
        assert kiosk.housing_unit.name == "B-2" and kiosk.enrolled_at is not None
        assert kiosk.enrollment_token_hash is None


def test_an_old_enrollment_url_has_expired(app, database, place):
    token = register_kiosk(database)
    with database.transaction() as session:
        session.execute(update(Kiosk).values(enrollment_expires_at=utcnow() - timedelta(seconds=1)))
    assert app.test_client().get(f"/kiosk/enroll/{token}").status_code == 404


def test_a_revoked_kiosk_stops_working_within_ten_seconds(app, kiosk, database):
    assert is_a_working_kiosk(kiosk)
    with database.transaction() as session:
        session.execute(update(Kiosk).values(revoked_at=utcnow()))
    devices = app.extensions["kiosk_devices"]
    assert devices.ttl <= 10
    devices.expire_all()  # what the passing of those seconds does
    assert kiosk.get("/kiosk/").status_code == 403


def test_kiosk_pages_are_never_cached_and_carry_a_strict_policy(kiosk):
    start_a_draft(kiosk)
    page = kiosk.get("/kiosk/file/category")
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page.get_data(as_text=True), re.S)
    assert scripts == [""]  # kiosk.js, from a file: no inline script anywhere
    cookie = kiosk.client.get_cookie("kiosk_session", path="/kiosk")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"


def test_every_response_carries_the_security_headers_exactly_once(app, kiosk):
    responses = [kiosk.get("/kiosk/"), kiosk.get("/kiosk/no-such-page"), app.test_client().get("/healthz"),
                 app.test_client().get("/kiosk/static/kiosk.css"), app.test_client().get("/staff/sign-in")]
    assert [r.status_code for r in responses] == [200, 404, 200, 200, 200]
    for response in responses:
        assert response.headers.getlist("X-Frame-Options") == ["DENY"]
        assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]
        assert len(response.headers.getlist("Content-Security-Policy")) == 1


def test_the_session_holds_only_an_id_in_the_browser(kiosk, database):
    start_a_draft(kiosk)
    cookie = kiosk.client.get_cookie("kiosk_session", path="/kiosk").value
    assert "201234567" not in cookie
    assert [row.id for row in sessions(database)] == [digest(cookie)]  # the database keeps only a digest


def page_shows_no_trace_of_spanish(page) -> bool:
    text = page.get_data(as_text=True)
    return 'lang="en"' in text and translated("es", "Finish") not in text


def test_finish_clears_everything_the_language_too(kiosk, database):
    start_a_draft(kiosk)
    old_cookie = kiosk.client.get_cookie("kiosk_session", path="/kiosk").value
    page = kiosk.get("/kiosk/finish", follow_redirects=True)
    assert page.request.path == "/kiosk/"  # the language picker, as the next person needs it
    assert page_shows_no_trace_of_spanish(page)
    assert sessions(database) == []
    assert kiosk.client.get_cookie("kiosk_session", path="/kiosk") is None
    # The browser's back button, even with the old cookie, finds nothing: the category screen, reached
    # only with an A-number in the draft, sends the next person back to the first question.
    kiosk.client.set_cookie("kiosk_session", old_cookie, path="/kiosk")
    back = kiosk.get("/kiosk/file/category")
    assert back.status_code == 302 and back.headers["Location"].endswith("/kiosk/file/who")
    assert page_shows_no_trace_of_spanish(kiosk.get("/kiosk/file/who"))


def test_an_idle_session_times_out_leaving_nothing_the_language_neither(kiosk, database):
    start_a_draft(kiosk)
    with database.transaction() as session:
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    page = kiosk.get("/kiosk/file/category", follow_redirects=True)
    assert page.request.path == "/kiosk/"
    assert page_shows_no_trace_of_spanish(page)
    assert sessions(database) == []
    again = kiosk.get("/kiosk/file/review", follow_redirects=True)
    assert again.request.path == "/kiosk/file/who"


def test_the_idle_countdowns_end_clears_the_language_too(kiosk, database):
    start_a_draft(kiosk)
    page = kiosk.get("/kiosk/timeout", follow_redirects=True)
    assert page.request.path == "/kiosk/" and page_shows_no_trace_of_spanish(page)
    assert sessions(database) == []


def test_the_idle_timeout_is_configurable_and_shown(app, config, database, place):
    from kiosk.app import create_app

    short = create_app(config.with_changes(kiosk_idle_timeout=timedelta(seconds=30)))
    client = enrolled_kiosk(short)
    page = client.choose_language("en")
    assert 'data-idle-seconds="30"' in page.get_data(as_text=True)
    row = sessions(database)[0]
    assert timedelta(seconds=25) < row.expires_at - utcnow() <= timedelta(seconds=30)
    short.extensions["database"].dispose()


@pytest.mark.postgresql_only  # SQLite has no server to restart
def test_a_database_restart_between_two_taps_loses_nothing(kiosk, database):
    """When the server has dropped the pool's connections, as a PostgreSQL restart does, the next
    tap still finds the person's draft (the pool checks a connection before lending it)."""
    start_a_draft(kiosk)
    with database.engine.connect() as connection:
        ended = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND application_name = current_setting('application_name')"  # this run's, no other's
            " AND backend_type = 'client backend' AND query NOT ILIKE '%pg_stat_activity%'"
            " AND state = 'idle'")).scalar()
    assert ended >= 1
    page = kiosk.get("/kiosk/file/category")  # reachable only with the A-number in the draft
    assert page.status_code == 200 and 'lang="es"' in page.get_data(as_text=True)
    assert draft_of(database)["a_number"] == "201234567"


@pytest.mark.postgresql_only  # SQLite connections are files, not server sessions
def test_the_app_closes_every_connection_it_opened(app, kiosk, database):
    start_a_draft(kiosk)
    before = open_connections(database)
    database.dispose()
    assert open_connections(database) <= before - 2  # the pool's and the session reader's


def test_still_here_keeps_the_session_alive(kiosk, database):
    start_a_draft(kiosk)
    with database.transaction() as session:
        session.execute(update(WebSession).values(expires_at=utcnow() + timedelta(seconds=5)))
    assert kiosk.get("/kiosk/still-here").status_code == 200
    assert sessions(database)[0].expires_at - utcnow() > timedelta(seconds=60)
    assert draft_of(database)["a_number"] == "201234567"


def test_threads_that_end_take_their_session_connection_with_them(app, kiosk, database):
    """The development server runs each request in a thread of its own; connections must not
    pile up with the threads."""
    import gc
    import threading

    start_a_draft(kiosk)

    def tap():
        assert kiosk.get("/kiosk/file/category").status_code == 200

    tap()
    before = open_connections(database)
    for _ in range(20):
        thread = threading.Thread(target=tap)
        thread.start()
        thread.join()
    gc.collect()
    assert open_connections(database) <= before
