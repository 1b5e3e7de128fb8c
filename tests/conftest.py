"""Fixtures: an app on SQLite and (when KIOSK_TEST_DATABASE_URL is set) on PostgreSQL.

The schema is made by the real Alembic migrations, once per run and backend;
each test then starts from empty tables. CSRF stays switched on everywhere.
Fixtures more than one test module uses live here; helpers (factories, clients,
actions) in tests/helpers.py.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from tests import network_guard

network_guard.install()

from kiosk.app import create_app  # noqa: E402
from kiosk.config import Config  # noqa: E402
from kiosk.core import migrate  # noqa: E402
from kiosk.core.db import Database, make_engine  # noqa: E402
from kiosk.core.models import Base, Facility, Hotline, HousingUnit  # noqa: E402
from tests.fake_twilio import FakeTwilio  # noqa: E402
from tests.helpers import (  # noqa: E402
    PUBLIC, TWILIO_TOKEN, BrowserClient, Kioskctl, create_staff, enrolled_kiosk, signed_in,
)

pytest_plugins = ("tests.browser",)  # the browser tests' shared Chromium

POSTGRES_URL = os.environ.get("KIOSK_TEST_DATABASE_URL")
# Every test that uses the database runs on SQLite, and on PostgreSQL when a server is given.
# Without one, no PostgreSQL variant is collected: nothing is reported skipped that never could run.
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql_only: checks what only a PostgreSQL server does; no SQLite variant")


def pytest_collection_modifyitems(config, items):
    """A test marked postgresql_only keeps only its PostgreSQL variant (none without a server)."""
    sqlite_variants = [item for item in items if item.get_closest_marker("postgresql_only")
                       and item.callspec.params["database_url"] != "postgresql"]
    if sqlite_variants:
        config.hook.pytest_deselected(items=sqlite_variants)
        items[:] = [item for item in items if item not in sqlite_variants]


def _with_search_path(url: str, schema: str) -> str:
    """Our schema first; our connections named after it, so a test can count its own among those
    of other runs on the same server."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}&application_name={schema}"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres():
    """A schema of our own, so parallel runs on the shared server never meet."""
    schema = f"kiosk_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = _with_search_path(POSTGRES_URL, schema)
    migrate.upgrade(url)
    yield url
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "kiosk.sqlite3"
        shutil.copy(request.getfixturevalue("migrated_sqlite"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("migrated_postgres")
    engine = make_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def config(database_url, tmp_path) -> Config:
    return Config(
        secret_key="test-secret-key-" + "x" * 32,
        database_url=database_url,
        instance_path=tmp_path / "instance",
        env="production",
        cookie_secure=False,  # the test client speaks plain HTTP
        sms_number="+15555550100",
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        translation_beam_size=1,  # the tiny test models translate the same, faster
        testing=True,
    )


@pytest.fixture
def app(config):
    app = create_app(config)
    yield app
    app.extensions["database"].dispose()


@pytest.fixture
def database(app) -> Database:
    return app.extensions["database"]


@pytest.fixture
def runner(app):
    """kioskctl, run against this test's app."""
    return Kioskctl(app.test_cli_runner())


@pytest.fixture
def place(database):
    """A facility with two housing units and its hotlines."""
    with database.transaction() as session:
        facility = Facility(code="TST", name="Test Detention Center", timezone="America/Chicago")
        session.add(facility)
        session.flush()
        units = [HousingUnit(facility_id=facility.id, name=name) for name in ("A-1", "B-2")]
        session.add_all(units)
        session.add_all([
            Hotline(facility_id=facility.id, kind="emergency", number="+1 512-555-0110", free_call_code="0",
                    shown_for=["danger_from_detainee", "danger_from_staff", "danger", "medical"]),
            Hotline(facility_id=None, kind="sexual_abuse", number="+1 202-555-0186", free_call_code="7702",
                    shown_for=["sexual_abuse", "danger_from_staff"]),
        ])
    return {"facility_id": facility.id, "unit_ids": [u.id for u in units]}


@pytest.fixture
def kiosk(app, place) -> BrowserClient:
    """A browser enrolled as the kiosk of housing unit A-1."""
    return enrolled_kiosk(app)


@pytest.fixture
def people(app, database, place):
    """A second facility, and a case manager for each, a supervisor (all with helpers.PASSWORD)."""
    with database.transaction() as session:
        other = Facility(code="OTH", name="Other Facility", timezone="America/New_York")
        session.add(other)
        session.flush()
        session.add(HousingUnit(facility_id=other.id, name="1"))
    create_staff(app, "chris", "case_manager", ["TST"])
    create_staff(app, "dana", "case_manager", ["OTH"])
    create_staff(app, "sam", "supervisor")
    return {"TST": place["facility_id"], "OTH": other.id}


@pytest.fixture
def ada(app, people):
    """An administrator, signed in."""
    create_staff(app, "ada", "administrator", display_name="Ada Admin")
    return signed_in(app, "ada")


@pytest.fixture
def twilio():
    """Twilio's REST API, on loopback."""
    fake = FakeTwilio()
    yield fake
    fake.stop()


@pytest.fixture
def sms_app(config, twilio, place):
    """The app with Twilio configured: signed webhooks in, texts out to the fake."""
    app = create_app(config.with_changes(
        public_url=PUBLIC, twilio_account_sid="AC" + "0" * 32, twilio_auth_token=TWILIO_TOKEN,
        twilio_from_number="+15555550100", twilio_api_url=twilio.url,
    ))
    yield app
    app.extensions["database"].dispose()
