"""The foundation: configuration, health, migrations, the audit log, kioskctl and demo data."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, func, select, text, update
from sqlalchemy.exc import DBAPIError

from kiosk.app import create_app
from kiosk.config import Config, ConfigError
from kiosk.core import audit
from kiosk.core.db import make_engine, plan_for_these_values
from kiosk.core.models import AuditEntry, Base, Case, Facility, Kiosk, StaffUser
from tests.helpers import is_a_working_kiosk, signed_in


def test_healthz_answers_200_with_the_database_reachable(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "reachable"


def test_healthz_answers_503_when_the_database_is_down(config):
    down = config.with_changes(database_url="postgresql://postgres@127.0.0.1:1/none")
    response = create_app(down).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_a_missing_secret_key_stops_start_up_with_a_clear_message(tmp_path):
    with pytest.raises(ConfigError, match="KIOSK_SECRET_KEY is not set"):
        Config.from_env({"KIOSK_INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(ConfigError, match="too short"):
        Config.from_env({"KIOSK_SECRET_KEY": "short", "KIOSK_INSTANCE_PATH": str(tmp_path)})
    # A developer's machine may use a short key; production may not.
    dev = Config.from_env({"KIOSK_SECRET_KEY": "dev", "KIOSK_ENV": "development", "KIOSK_INSTANCE_PATH": str(tmp_path)})
    assert dev.development and not dev.cookie_secure
    assert dev.database_url == f"sqlite:///{tmp_path / 'kiosk.sqlite3'}"


def kioskctl(tmp_path, *args, **env_changes):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_INSTANCE_PATH=str(tmp_path), **env_changes)
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("command", [["db", "upgrade"], ["translate", "list"], ["jobs", "status"]])
def test_kioskctl_without_a_secret_key_says_so_in_one_line(tmp_path, command):
    result = kioskctl(tmp_path, *command)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: KIOSK_SECRET_KEY is not set. Set it to a long random value, for example the output of: "
        "python3 -c 'import secrets; print(secrets.token_hex(32))'"]


def test_kioskctl_on_a_database_never_migrated_says_what_to_do_in_one_line(tmp_path):
    result = kioskctl(tmp_path, "jobs", "status", KIOSK_SECRET_KEY="k" * 40)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: the database has no tables yet: run `kioskctl db upgrade` first"]
    assert kioskctl(tmp_path, "db", "upgrade", KIOSK_SECRET_KEY="k" * 40).returncode == 0
    assert kioskctl(tmp_path, "jobs", "status", KIOSK_SECRET_KEY="k" * 40).stdout.startswith("queued: 0")


def test_kioskctl_help_needs_no_app(tmp_path):
    result = kioskctl(tmp_path, "--help")
    assert result.returncode == 0 and "translate" in result.stdout and "worker" in result.stdout
    assert result.stderr == ""


def test_migrations_build_exactly_the_models(database):
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert differences == []


def test_the_audit_log_refuses_updates_and_deletes(database):
    with database.transaction() as session:
        audit.record(session, "test", "test.action")
    with pytest.raises(DBAPIError, match="append-only"):
        with database.transaction() as session:
            session.execute(update(AuditEntry).values(action="changed"))
    with pytest.raises(DBAPIError, match="append-only"):
        with database.transaction() as session:
            session.execute(text("DELETE FROM audit_log"))
    with database.sessions() as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["test.action"]


def test_demo_loads_once_and_prints_what_it_made(app, runner, database):
    first = runner.invoke(args=["demo", "--json", "--force"])
    assert first.exit_code == 0, first.output
    made = json.loads(first.output)
    with database.sessions() as session:
        counts = [session.scalar(select(func.count()).select_from(m)) for m in (Facility, Case, StaffUser, Kiosk)]
    second = json.loads(runner.invoke(args=["demo", "--json", "--force"]).output)
    with database.sessions() as session:
        assert [session.scalar(select(func.count()).select_from(m)) for m in (Facility, Case, StaffUser, Kiosk)] == counts
    assert counts[1] >= 4 and counts[2] >= 3
    assert {c["language"] for c in made["cases"]} >= {"es", "ar", "ht", "zh_Hans"}
    assert [c["case_number"] for c in made["cases"]] == [c["case_number"] for c in second["cases"]]
    assert all({"case_number", "language", "facility", "pin"} <= set(c) for c in made["cases"])
    assert {s["role"] for s in made["staff"]} == {"administrator", "supervisor", "case_manager"}
    assert made["kiosk_enrollment_url"] != second["kiosk_enrollment_url"]  # fresh every time

    # The newest enrollment URL makes a browser the demo kiosk, once.
    client = app.test_client()
    path = second["kiosk_enrollment_url"].split("127.0.0.1:8000")[-1]
    assert client.get(path).status_code == 302
    assert is_a_working_kiosk(client)
    assert app.test_client().get(path).status_code == 404


def test_demo_refuses_to_run_in_production_without_force(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "refusing to load demo data" in result.output


def test_kiosk_register_prints_a_one_time_enrollment_url(app, runner, place):
    result = runner.invoke(args=["kiosk", "register", "--facility", "TST", "--unit", "B-2"])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert "/kiosk/enroll/" in url
    client = app.test_client()
    assert client.get(url.split("127.0.0.1:8000")[-1]).status_code == 302
    assert is_a_working_kiosk(client)


def test_kiosk_register_names_an_unknown_place(runner, place):
    result = runner.invoke(args=["kiosk", "register", "--facility", "TST", "--unit", "Z-9"])
    assert result.exit_code != 0
    assert "no housing unit 'Z-9' at facility 'TST'" in result.output


def test_the_engine_speaks_psycopg3_for_plain_postgresql_urls():
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/test")
    assert engine.dialect.driver == "psycopg"


def test_a_report_is_planned_for_its_own_period_and_nothing_else_pays_for_it(app, database, people):
    """psycopg prepares a statement a connection ran five times, and PostgreSQL may then plan it once
    for any value: a ten-year report read the way a one-day report is (bench/reports.py). A request
    that reads a period plans each statement for its values; the setting ends with its transaction,
    so the kiosk's lookups keep their saved plans."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no plan cache")
    with database.sessions() as session:
        plan_for_these_values(session)
        assert session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
        session.rollback()
        assert session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
    run: list[str] = []

    def record(_connection, _cursor, statement, *_args):
        run.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        for path in ("/staff/reports/overdue.csv", "/staff/patterns", "/staff/open311/requests.json"):
            run.clear()
            assert signed_in(app, "sam").get(path).status_code == 200
            assert run.index("SET LOCAL plan_cache_mode = force_custom_plan") < min(
                n for n, statement in enumerate(run) if "FROM cases" in statement), path
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def test_demo_registers_a_new_kiosk_when_the_demo_kiosk_was_revoked(app, runner, database):
    assert runner.invoke(args=["demo", "--json", "--force"]).exit_code == 0
    with database.transaction() as session:
        session.execute(update(Kiosk).values(revoked_at=func.now()))
    again = runner.invoke(args=["demo", "--json", "--force"])
    assert again.exit_code == 0, again.output  # `make run` keeps working
    path = json.loads(again.output)["kiosk_enrollment_url"].split("127.0.0.1:8000")[-1]
    client = app.test_client()
    assert client.get(path).status_code == 302
    assert is_a_working_kiosk(client)


def test_the_production_entry_point_builds_the_app_and_freezes_it_out_of_the_gc(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_SECRET_KEY="k" * 40, KIOSK_INSTANCE_PATH=str(tmp_path),
               KIOSK_DATABASE_URL=f"sqlite:///{tmp_path / 'kiosk.sqlite3'}")
    result = subprocess.run(
        [sys.executable, "-c", "import gc, kiosk.wsgi; print(type(kiosk.wsgi.app).__name__, gc.get_freeze_count())"],
        env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    name, frozen = result.stdout.split()
    assert name == "Flask" and int(frozen) > 10_000
