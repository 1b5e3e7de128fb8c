"""Benchmark: the staff console with 300,000 cases (triage queue, case page).

What it does, in one run
  1. Makes a throw-away instance (KIOSK_ENV=production, a random secret key, a SQLite file in a
     temporary directory, or with --database-url a PostgreSQL schema of its own) and migrates it
     with `kioskctl db upgrade`.
  2. Generates 300,000 cases (ten years of a national ombudsman's intake) across 150 facilities
     (2-4 housing units each, one kiosk in each unit): ~24% medical, ~8% legal access, ~2%
     emergencies, the rest over the other categories; the 14 kiosk languages; filed evenly over
     the ten years, a case still open with a chance halving every 30 days of its age, plus 2% never
     closed (so about 10,000 open, most of them overdue and many badly late); with --years 0 the
     stress mix of the 100,000-case runs instead (75% open, filed within days, due times around
     now); 1-3 timeline events each; the English machine
     translation of every complaint not written in English (but those waiting for an interpreter),
     which the queue's summary reads. Priority and due time come from kiosk.core.triage.triage().
     Rows go in 5,000 cases at a time: on PostgreSQL with COPY (psycopg's copy, about twice as fast as
     executemany), on SQLite with SQLAlchemy Core executemany; then ANALYZE (on PostgreSQL VACUUM
     (ANALYZE), see analyze()). Two accounts are made with kiosk.core.staff_accounts.create(): a
     supervisor, who sees every facility (the worst case for the queue), and a case manager working
     the 3 largest facilities, who holds 40% of their open cases (the queue names the assignee).
  3. Serves the product with gunicorn like bench/kiosk_pages.py (sync workers, --threads 1,
     2 x cores + 1 workers). Every client signs in once through the real form (CSRF token,
     argon2 password check) and keeps its own staff_session cookie and keep-alive connection.
  4. For each account, one page at a time: N clients (default 20) loop on the page without
     think time, warm-up then a measured window; then one client alone (the service time,
     without queueing). Pages:
       floor  GET /staff/bench-no-such-page -> 404. The least a signed-in request costs: the
              session row and the account are read (kiosk/staff/__init__.py), no view runs.
       audit  GET /staff/audit?action=nothing-matches (supervisor only; a case manager gets 403):
              a real page, one indexed read that finds nothing, one audit write, a template.
              The trivial page the brief suggests; the floor is more trivial still, and both are
              reported so the queue and case pages can be set against each.
       queue  GET /staff/ (the first page of 50 cases with their units, assignees and English
              summaries, the four counts, the filter lists, the person's saved filters).
       filtered  GET /staff/?category=medical&overdue=1, as a saved filter opens it.
       case   GET /staff/case/<number>, a random visible case each time (each view writes its
              audit entry, as in production).
     Target: queue and case p99 < 100 ms, with N clients and with one.
  5. Cleans up whatever happens (gunicorn stopped, schemas dropped, temporary files removed).

How to run
  .venv/bin/python bench/staff_pages.py                 # SQLite, a few minutes on 2 cores
  .venv/bin/python bench/staff_pages.py --database-url postgresql://postgres@127.0.0.1:5432/test
  options: --cases 300000 --clients 20 --seconds 8 --warmup 2 --unloaded-seconds 5 --workers N
           --seed 1 --skip-case-manager --explain --json out.json --strict
  --explain prints the plan of each account's queue query as the database ran it (EXPLAIN ANALYZE
  on PostgreSQL, EXPLAIN QUERY PLAN on SQLite).

The report is Markdown on stdout (progress goes to stderr); the exit code is 0 unless --strict
is given and a target is missed. Nothing but 127.0.0.1 is contacted.

Simplifications: the load generator shares the machine with gunicorn and the database (its CPU is
reported beside theirs); a client's cookie jar is a name -> value dict (the staff cookie has
Path=/staff and every request goes there).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import _harness as h
from _harness import BenchError, Client, Server, log, markdown_table
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from kiosk.config import Config
from kiosk.core import casework, staff_accounts
from kiosk.core.casework import OPEN, PAGE_SIZE
from kiosk.core.categories import CATEGORY_CODES, questions_for
from kiosk.core.credentials import SecretHasher
from kiosk.core.identifiers import case_number
from kiosk.core.languages import BY_CODE
from kiosk.core.models import Case, CaseEvent, Detainee, Facility, HousingUnit, Kiosk, StaffUser, Translation
from kiosk.core.triage import triage

P99_TARGET_MS = 100.0
CHUNK = 5_000

CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]+)"')
OPEN_COUNT = re.compile(r"Open: (\d+)")

# --------------------------------------------------------------------------- the data's mix

CATEGORY_SHARE = {"medical": 0.24, "legal_access": 0.08}
OTHER_CATEGORIES = sorted(CATEGORY_CODES - set(CATEGORY_SHARE))
CATEGORY_SHARE.update({code: (1 - sum(CATEGORY_SHARE.values())) / len(OTHER_CATEGORIES) for code in OTHER_CATEGORIES})
EMERGENCY_SHARE = 0.02
EMERGENCY_SPLIT = {"medical": 0.6, "safety": 0.4}  # which categories the 2% of emergencies come from

_LANGUAGE_SHARE = {"es": 40, "en": 8, "ht": 7, "zh_Hans": 6, "pt": 5, "pa": 5, "hi": 5, "fr": 5, "ar": 4,
                   "ru": 4, "bn": 3, "ro": 3, "tr": 3, "vi": 2}
LANGUAGE_WEIGHT = {code: _LANGUAGE_SHARE.get(code, 1) for code in BY_CODE}  # every language the kiosk speaks
STATUS_WEIGHT = {"new": 30, "acknowledged": 15, "in_review": 18, "facility_contacted": 7, "referred": 5,  # 75% open
                 "resolved": 15, "not_substantiated": 6, "withdrawn": 4}                            # 25% closed
# How long an open case has been waiting (exponential mean, hours) by priority: urgent work is picked up sooner.
OPEN_AGE_MEAN_HOURS = {0: 6, 1: 16, 2: 48, 3: 96}
# --years N (a history): cases filed evenly over N years; a case's chance to be still open falls with
# its age (half-life RESOLVED_HALF_LIFE_DAYS), and a few old ones were never closed (badly late).
RESOLVED_HALF_LIFE_DAYS = 30
NEVER_CLOSED_SHARE = 0.02
OPEN_WEIGHT = {status: weight for status, weight in STATUS_WEIGHT.items() if status in OPEN}
CLOSED_WEIGHT = {status: weight for status, weight in STATUS_WEIGHT.items() if status not in OPEN}
THIRD_PARTY_SHARE = 0.03  # reported by text by family or a lawyer: no structured answers
TIMEZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles"]

WORDS = {
    "es": ["No me dan mi medicina desde hace tres días.", "El teléfono de la unidad no funciona y no puedo "
           "llamar a mi abogado.", "Hace mucho frío en la noche y no nos dan otra cobija.",
           "Un oficial me gritó y me empujó en el comedor.", "Perdieron mis documentos al llegar."],
    "en": ["I asked for the doctor four times and nobody came.", "The phones have been broken for a week.",
           "The food makes people sick, three of us vomited last night.", "My property was not returned."],
    "ht": ["Twalèt yo bouche depi plizyè jou epi li fè frèt anpil lannwit.", "Mwen bezwen wè yon doktè."],
    "fr": ["Je n'ai pas pu appeler mon avocat depuis une semaine.", "On ne me donne pas mes médicaments."],
    "pt": ["Não consigo falar com meu advogado há dias.", "Preciso de um médico, sinto dor no peito."],
}
FALLBACK_WORDS = ["Please help, the problem continues every day and nobody answers my requests.",
                  "I have written to the facility twice and have had no reply."]
# What the machine translation of a complaint says (its length is what matters to the queue's summary).
ENGLISH_WORDS = WORDS["en"] + FALLBACK_WORDS + [
    "They have not given me my medicine for three days.", "The unit phone does not work and I cannot call my lawyer.",
    "It is very cold at night and they do not give us another blanket.", "My documents were lost when I arrived."]


# --------------------------------------------------------------------------- database


def is_postgres(engine) -> bool:
    return engine.dialect.name == "postgresql"


LOADED_TABLES = ("facilities", "housing_units", "kiosks", "detainees", "cases", "case_events", "translations",
                 "staff_users", "staff_facilities", "audit_log")


VACUUM_TRIES = 20
ALL_VISIBLE_WANTED = 0.95


def analyze(engine) -> float | None:
    """Planner statistics. On PostgreSQL VACUUM (ANALYZE): a live database has been visited by autovacuum
    (visibility map set, so index-only scans pay off); on a freshly loaded one autovacuum would start at
    some moment during the measurements and change the plans under them. A transaction of someone
    else's open on the same server keeps VACUUM from marking the new rows all-visible (the planner
    then reads the cases' table where it would read an index alone), so it is run again, a few
    seconds apart, until the cases' pages are; returns the share that is (None on SQLite)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if not is_postgres(engine):
            connection.exec_driver_sql("ANALYZE")
            return None
        share = 0.0
        for attempt in range(VACUUM_TRIES):
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(LOADED_TABLES)}")
            share = connection.exec_driver_sql(
                "SELECT relallvisible::float / greatest(relpages, 1) FROM pg_class "
                "WHERE oid = 'cases'::regclass").scalar()
            if share >= ALL_VISIBLE_WANTED:
                break
            log(f"{share:.0%} of the cases' pages all-visible: another transaction holds VACUUM back, "
                f"trying again ({attempt + 1}/{VACUUM_TRIES})")
            time.sleep(3)
        return share


# --------------------------------------------------------------------------- data


@dataclass
class Account:
    role: str
    username: str
    password: str
    staff_id: int
    facility_ids: list[int] | None  # None: every facility
    facility_codes: list[str] = field(default_factory=list)
    visible_numbers: list[str] = field(default_factory=list)
    open_visible: int = 0

    @property
    def label(self) -> str:
        return self.role.replace("_", " ")


@dataclass
class Dataset:
    cases: int = 0
    events: int = 0
    translations: int = 0
    facilities: int = 0
    housing_units: int = 0
    detainees: int = 0
    categories: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    emergencies: int = 0
    open_overdue: int = 0
    open_emergencies: int = 0
    open_needs_interpreter: int = 0
    generate_seconds: float = 0.0  # building the rows in Python
    insert_seconds: float = 0.0    # COPY or executemany, commit included
    analyze_seconds: float = 0.0
    all_visible: float | None = None  # PostgreSQL: the share of the cases' pages VACUUM marked all-visible
    accounts: list[Account] = field(default_factory=list)

    @property
    def open(self) -> int:
        return sum(n for status, n in self.statuses.items() if status in OPEN)


def weighted(rng: random.Random, weights: dict[str, float]):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def answers_for(rng: random.Random, category: str, emergency: bool) -> dict:
    """Tap-to-answer codes (kiosk.core.categories) that make the case an emergency exactly when asked to."""
    answers = {}
    for question in questions_for(category):
        answers[question.key] = rng.choice(sorted(question.option_codes()))
    if "safety_kind" in answers:
        answers["safety_kind"] = ("sexual_abuse" if emergency and rng.random() < 0.5
                                  else rng.choice(["detainee_violence", "staff_violence", "other_danger"]))
    if category in ("medical", "safety"):
        answers["urgent"] = "yes" if emergency and answers.get("safety_kind") != "sexual_abuse" else "no"
    else:
        answers["urgent"] = "yes" if rng.random() < 0.10 else "no"
    return answers


def make_facilities(rng: random.Random, count: int) -> tuple[list[dict], list[dict], list[dict], dict[int, list[int]],
                                                            list[float]]:
    """Facilities, their housing units, one kiosk in each unit (with the unit's id), each unit's ids."""
    facilities, units, kiosks, units_of, sizes = [], [], [], {}, []
    now = datetime.now(timezone.utc)
    for fid in range(1, count + 1):
        facilities.append({"id": fid, "code": f"F{fid:03d}", "name": f"Facility {fid:03d} Processing Center",
                           "timezone": rng.choice(TIMEZONES), "created_at": now - timedelta(days=900)})
        sizes.append(rng.lognormvariate(0, 0.5))  # some facilities are much busier than others
        units_of[fid] = []
        for name in ["A-1", "A-2", "B-1", "B-2"][: rng.randint(2, 4)]:
            units.append({"id": len(units) + 1, "facility_id": fid, "name": name})
            units_of[fid].append(len(units))
            kiosks.append({"id": len(units), "label": f"{name} kiosk", "facility_id": fid, "housing_unit_id": len(units),
                           "created_at": now - timedelta(days=900)})
    return facilities, units, kiosks, units_of, sizes


def make_case(rng: random.Random, case_id: int, serial: int, now: datetime, facility_id: int, unit_id: int,
              detainee_id: int | None, staff_ids: tuple[int, int],
              assign_to: int | None, years: float = 0) -> tuple[dict, list[dict], list[dict]]:
    """A case, its timeline and the English translation of its words (none for English, or while an
    interpreter is needed); kiosk ids are housing unit ids (make_facilities)."""
    category = weighted(rng, CATEGORY_SHARE)
    emergency = category in EMERGENCY_SPLIT and rng.random() < (
        EMERGENCY_SHARE * EMERGENCY_SPLIT[category] / CATEGORY_SHARE[category])
    third_party = not emergency and rng.random() < THIRD_PARTY_SHARE
    answers = {} if third_party else answers_for(rng, category, emergency)
    decision = triage(category, answers)
    language = weighted(rng, LANGUAGE_WEIGHT)
    if years:  # a history: filed any day of the years, open the more likely the younger
        age = timedelta(days=rng.uniform(0, 365 * years))
        still_open = 0.5 ** (age.days / RESOLVED_HALF_LIFE_DAYS) + NEVER_CLOSED_SHARE
        status = weighted(rng, OPEN_WEIGHT if rng.random() < still_open else CLOSED_WEIGHT)
    else:  # the stress mix: 75% open, all filed within days
        status = weighted(rng, STATUS_WEIGHT)
        if status in OPEN:
            age = timedelta(hours=min(rng.expovariate(1 / OPEN_AGE_MEAN_HOURS[decision.priority]), 120 * 24))
        else:
            age = timedelta(days=rng.uniform(2, 365))
    filed = now - age
    words = " ".join(rng.sample(WORDS.get(language, FALLBACK_WORDS), k=min(2, len(WORDS.get(language, FALLBACK_WORDS)))))
    row = {
        "id": case_id, "number": case_number(filed.year, serial), "facility_id": facility_id,
        "housing_unit_id": None if third_party else unit_id,
        "detainee_id": detainee_id if (not third_party or rng.random() < 0.5) else None,
        "channel": "sms" if third_party else "kiosk", "submitted_by": "third_party" if third_party else "detainee",
        "kiosk_id": None if third_party else unit_id,
        "submitter_phone": f"+1202555{rng.randrange(10000):04d}" if third_party else None,
        "submitter_relationship": rng.choice(["family", "lawyer", "friend"]) if third_party else None,
        "detainee_name": "Name Given By Reporter" if third_party else None,
        "language": language, "category": category, "answers": answers, "description": words,
        "is_emergency": decision.is_emergency, "priority": decision.priority, "due_at": decision.due_at(filed),
        "status": status, "assigned_to_id": assign_to if status in OPEN else None,
        "needs_interpreter": language not in ("en", "es") and rng.random() < 0.04,
        "pin_hash": None, "pin_failures": 0, "pin_locked_until": None, "submission_token": None,
        "created_at": filed, "updated_at": filed, "completed_at": filed,
    }
    event_row = dict.fromkeys(("status_from", "status_to", "body", "language"))
    reporter = f"sms:{row['submitter_phone']}" if third_party else f"kiosk:{unit_id}"
    events = [{**event_row, "case_id": case_id, "kind": "filed", "actor": reporter,
               "status_to": "new", "language": language, "visible_to_detainee": True, "created_at": filed}]
    staff = f"staff:{rng.choice(staff_ids)}"
    if status != "new":
        events.append({**event_row, "case_id": case_id, "kind": "status_changed", "actor": staff,
                       "status_from": "new", "status_to": status, "visible_to_detainee": True,
                       "created_at": filed + age * rng.uniform(0.1, 0.6)})
    if rng.random() < 0.3:
        kind = rng.choice(["reply", "note", "facility_contact"])
        events.append({**event_row, "case_id": case_id, "kind": kind, "actor": staff, "language": "en",
                       "body": "Contacted: medical unit\nHow: phone\nThe facility said: seen tomorrow"
                       if kind == "facility_contact" else "We have asked the facility and will write again.",
                       "visible_to_detainee": kind == "reply", "created_at": filed + age * rng.uniform(0.6, 0.95)})
    row["updated_at"] = events[-1]["created_at"]
    english = []
    if language != "en" and not row["needs_interpreter"]:
        english.append({"case_id": case_id, "event_id": None, "source_language": language, "target_language": "en",
                        "source_text": words, "text": " ".join(rng.sample(ENGLISH_WORDS, k=2)), "status": "done",
                        "human": False, "made_by": "translate-es_en-1_0", "created_at": filed,
                        "finished_at": filed + timedelta(seconds=20)})
    return row, events, english


def write_rows(connection, table, rows: list[dict]) -> None:
    """Rows into a table, all with the same keys; a column left out takes its model's plain default.
    PostgreSQL: COPY through psycopg (Connection.connection.driver_connection is SQLAlchemy's public
    way to the driver's connection, in the same transaction). SQLite: Core executemany in chunks."""
    if not rows:
        return
    defaults = {column.name: column.default.arg for column in table.columns
                if column.name not in rows[0] and column.default is not None and column.default.is_scalar}
    if not is_postgres(connection.engine):
        for start in range(0, len(rows), CHUNK):
            connection.execute(insert(table), [{**defaults, **row} for row in rows[start:start + CHUNK]])
        return
    columns = [*rows[0], *defaults]
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            values = (row[c] if c in row else defaults[c] for c in columns)
            copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in values])


def load_data(engine, env: dict[str, str], count: int, facility_count: int, seed: int, years: float = 0) -> Dataset:
    """Facilities, kiosks, two staff accounts, detainees, cases, events and translations, in chunks."""
    rng = random.Random(seed)
    data = Dataset()
    insert_time = 0.0
    started = time.perf_counter()

    def execute_many(connection, table, rows):
        nonlocal insert_time
        began = time.perf_counter()
        write_rows(connection, table, rows)
        insert_time += time.perf_counter() - began

    facilities, units, kiosks, units_of, sizes = make_facilities(rng, facility_count)
    data.facilities, data.housing_units = len(facilities), len(units)
    with engine.begin() as connection:
        execute_many(connection, Facility.__table__, facilities)
        execute_many(connection, HousingUnit.__table__, units)
        execute_many(connection, Kiosk.__table__, kiosks)

    # The accounts, through the product's own code (argon2 hash, audit entry).
    largest = sorted(range(1, facility_count + 1), key=lambda fid: -sizes[fid - 1])[:3]
    hasher = SecretHasher(Config.from_env(env))
    accounts = []
    with Session(engine) as session, session.begin():
        for role, username, codes in (("supervisor", "bench-supervisor", []),
                                      ("case_manager", "bench-casemanager", [f"F{fid:03d}" for fid in largest])):
            password = secrets.token_urlsafe(18)
            user = staff_accounts.create(session, hasher, username=username, display_name=f"Bench {role}",
                                         role=role, password=password, facility_codes=codes, actor="bench")
            session.flush()
            accounts.append(Account(role, username, password, user.id, None if role == "supervisor" else largest,
                                    codes))
    supervisor, manager = accounts
    data.accounts = accounts

    detainee_count = int(count * 0.65)
    a_numbers = rng.sample(range(10**8, 10**9), detainee_count)
    detainees = [{"id": i + 1, "a_number": str(a), "created_at": datetime.now(timezone.utc) - timedelta(days=400)}
                 for i, a in enumerate(a_numbers)]
    data.detainees = len(detainees)
    now = datetime.now(timezone.utc)
    serials = rng.sample(range(10**7), count)  # unique serials make unique case numbers
    facility_picks = rng.choices(range(1, facility_count + 1), weights=sizes, k=count)
    staff_ids = (supervisor.staff_id, manager.staff_id)
    with engine.begin() as connection:
        execute_many(connection, Detainee.__table__, detainees)
        for start in range(0, count, CHUNK):
            case_rows, event_rows, translation_rows = [], [], []
            for case_id in range(start + 1, min(start + CHUNK, count) + 1):
                fid = facility_picks[case_id - 1]
                assign_to = manager.staff_id if fid in largest and rng.random() < 0.4 else None
                row, events, english = make_case(rng, case_id, serials[case_id - 1], now, fid,
                                                 rng.choice(units_of[fid]), rng.randint(1, detainee_count),
                                                 staff_ids, assign_to, years)
                case_rows.append(row)
                event_rows.extend(events)
                translation_rows.extend(english)
                tally(data, row, now)
                supervisor.visible_numbers.append(row["number"])
                if fid in largest:
                    manager.visible_numbers.append(row["number"])
                    manager.open_visible += row["status"] in OPEN
            data.events += len(event_rows)
            data.translations += len(translation_rows)
            execute_many(connection, Case.__table__, case_rows)
            execute_many(connection, CaseEvent.__table__, event_rows)
            execute_many(connection, Translation.__table__, translation_rows)
        if is_postgres(engine):  # explicit ids leave the sequences behind
            for table in ("facilities", "housing_units", "kiosks", "detainees", "cases"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    supervisor.open_visible = data.open
    data.insert_seconds = insert_time
    data.generate_seconds = time.perf_counter() - started - insert_time
    began = time.perf_counter()
    data.all_visible = analyze(engine)
    data.analyze_seconds = time.perf_counter() - began
    return data


def tally(data: Dataset, row: dict, now: datetime) -> None:
    data.cases += 1
    data.categories[row["category"]] += 1
    data.languages[row["language"]] += 1
    data.statuses[row["status"]] += 1
    data.emergencies += row["is_emergency"]
    if row["status"] in OPEN:
        data.open_overdue += row["due_at"] < now
        data.open_emergencies += row["is_emergency"]
        data.open_needs_interpreter += row["needs_interpreter"]


# --------------------------------------------------------------------------- query plans


def queue_plans(engine, accounts: list[Account]) -> str:
    """The plan of each account's first queue page as the database ran it (--explain): the statement
    casework.queue_page sends, caught on its way to the driver and run again under EXPLAIN."""
    sent = []

    def catch(_connection, _cursor, statement, parameters, *_rest):
        sent.append((statement, parameters))

    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if is_postgres(engine) else "EXPLAIN QUERY PLAN "
    out = []
    with Session(engine) as session:
        for account in accounts:
            user = session.get(StaffUser, account.staff_id)
            user.facilities  # noqa: B018  (loaded first, so that the page's query is the last one sent)
            for filters in (casework.Filters(), casework.Filters(category="medical", overdue=True)):
                event.listen(engine, "before_cursor_execute", catch)
                try:
                    casework.queue_page(session, user, filters)
                finally:
                    event.remove(engine, "before_cursor_execute", catch)
                statement, parameters = sent[-1]
                plan = session.connection().exec_driver_sql(prefix + statement, parameters).all()
                lines = [" ".join(str(part) for part in row) for row in plan]
                out.append(f"#### {account.label}, queue {filters.as_query() or 'unfiltered'}\n\n```\n"
                           + "\n".join(lines) + "\n```")
    return "\n\n".join(out)


# --------------------------------------------------------------------------- signing in, pages


@dataclass(frozen=True)
class Page:
    name: str
    describe: str
    expected_status: int
    supervisor_only: bool = False

    def path(self, rng: random.Random, account: Account) -> str:
        if self.name == "case":
            return f"/staff/case/{rng.choice(account.visible_numbers)}"
        return self.describe


PAGES = [
    Page("floor", "/staff/bench-no-such-page", 404),
    Page("audit", "/staff/audit?action=nothing-matches", 200, supervisor_only=True),
    Page("queue", "/staff/", 200),
    Page("filtered", "/staff/?category=medical&overdue=1", 200),
    Page("case", "/staff/case/<random visible number>", 200),
]
TARGET_PAGES = ("queue", "filtered", "case")


def sign_in(port: int, account: Account) -> Client:
    client = Client(port, timeout=30.0)
    form = client.get("/staff/sign-in")
    token = CSRF_INPUT.search(form.text)
    if form.status != 200 or token is None:
        raise BenchError(f"sign-in page: {form.status}, CSRF token {'found' if token else 'missing'}")
    done = client.post("/staff/sign-in", {"csrf_token": token.group(1), "username": account.username,
                                         "password": account.password})
    h.expect_redirect(done, "/staff/", f"signing in as {account.username}")
    if "staff_session" not in client.cookies:
        raise BenchError("signing in set no staff_session cookie")
    return client


def check_pages(client: Client, account: Account, other_number: str | None) -> None:
    """The pages answer what a person would see, before anything is timed."""
    queue = client.get("/staff/")
    rows = queue.text.count('href="/staff/case/')
    shown_open = OPEN_COUNT.search(queue.text)
    if queue.status != 200 or rows != min(PAGE_SIZE, account.open_visible):
        raise BenchError(f"queue page for the {account.label}: {queue.status}, {rows} case rows "
                         f"(expected {min(PAGE_SIZE, account.open_visible)})")
    if shown_open is None or int(shown_open.group(1)) != account.open_visible:
        raise BenchError(f"queue page for the {account.label} counts {shown_open and shown_open.group(1)} open "
                         f"cases, the data has {account.open_visible}")
    number = account.visible_numbers[0]
    case = client.get(f"/staff/case/{number}")
    if case.status != 200 or number not in case.text:
        raise BenchError(f"case page {number} for the {account.label}: {case.status}")
    for page in PAGES:
        if page.supervisor_only and account.facility_ids is not None:
            continue
        status = client.get(page.path(random.Random(0), account)).status
        if status != page.expected_status:
            raise BenchError(f"{page.describe} for the {account.label}: {status}, expected {page.expected_status}")
    if other_number is not None:  # scoping works: a case elsewhere is refused
        status = client.get(f"/staff/case/{other_number}").status
        if status != 403:
            raise BenchError(f"the case manager opened a case of another facility: {status}")


# --------------------------------------------------------------------------- load


@dataclass
class Phase:
    """One page under load by one account's clients, then by one client alone (the service time, without
    queueing). Both results are named after the page."""

    role: str
    load: h.LoadResult
    alone: h.LoadResult | None = None

    @property
    def page(self) -> str:
        return self.load.name

    def one_client(self) -> dict:
        return self.alone.overall() if self.alone else h.latency_summary([])

    @property
    def error_count(self) -> int:
        return self.load.error_count + (self.alone.error_count if self.alone else 0)

    def as_json(self) -> dict:
        return {"role": self.role, "page": self.page, **self.load.as_json(),
                "one_client": self.alone.as_json() if self.alone else None}


def run_phase(server: Server, clients: list[Client], account: Account, page: Page, args) -> Phase:
    def check(response: h.Response) -> str | None:
        return None if response.status == page.expected_status else f"HTTP {response.status}"

    def loop(client: Client, rng: random.Random):
        return partial(h.request_loop, page.name, lambda: client.get(page.path(rng, account)), check)

    who = f"clients signed in as the {account.label}"
    loops = [loop(client, random.Random(f"{args.seed}-{account.role}-{page.name}-{index}"))
             for index, client in enumerate(clients)]
    phase = Phase(account.role, h.run_load(page.name, server, loops, args.warmup, args.seconds, who, join_timeout=60))
    if args.unloaded_seconds > 0:
        rng = random.Random(f"{args.seed}-{account.role}-{page.name}-alone")
        phase.alone = h.run_load(page.name, server, [loop(clients[0], rng)], 0, args.unloaded_seconds, who)
    return phase


# --------------------------------------------------------------------------- report


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def dataset_report(data: Dataset) -> str:
    rows_total = (data.cases + data.events + data.translations + data.detainees + data.facilities
                  + 2 * data.housing_units)  # a kiosk in each unit
    load_seconds = data.generate_seconds + data.insert_seconds
    lines = [markdown_table(["what", "figure"], [
        ["cases", f"{data.cases:,} ({data.open:,} open, {data.cases - data.open:,} closed)"],
        ["timeline events", f"{data.events:,} ({data.events / max(1, data.cases):.2f} per case)"],
        ["English translations of the complaints", f"{data.translations:,}"],
        ["facilities / housing units / detainees", f"{data.facilities} / {data.housing_units} / {data.detainees:,}"],
        ["medical / legal access / emergencies",
         f"{pct(data.categories['medical'], data.cases)} / {pct(data.categories['legal_access'], data.cases)} / "
         f"{pct(data.emergencies, data.cases)}"],
        ["open cases overdue / open emergencies / need an interpreter",
         f"{data.open_overdue:,} / {data.open_emergencies:,} / {data.open_needs_interpreter:,}"],
        ["languages", ", ".join(f"{code} {pct(n, data.cases)}" for code, n in data.languages.most_common())],
        ["generation (rows built in Python)", f"{data.generate_seconds:.1f} s"],
        ["insert (PostgreSQL COPY, SQLite executemany; chunks of 5,000 cases)", f"{data.insert_seconds:.1f} s"],
        ["total, rows per second", f"{load_seconds:.1f} s for {rows_total:,} rows, "
                                   f"{rows_total / max(load_seconds, 1e-9):,.0f} rows/s"],
        ["ANALYZE", f"{data.analyze_seconds:.1f} s" + ("" if data.all_visible is None else
                                                        f", {data.all_visible:.0%} of the cases' pages all-visible")],
    ], right=set())]
    for account in data.accounts:
        where = "every facility" if account.facility_ids is None else ", ".join(account.facility_codes)
        lines.append(f"- {account.label} `{account.username}`: sees {where}; "
                     f"{len(account.visible_numbers):,} cases, {account.open_visible:,} open")
    return "\n".join(lines)


def phase_table(phases: list[Phase], clients: int) -> str:
    rows = []
    for phase in phases:
        load, loaded, alone = phase.load, phase.load.overall(), phase.one_client()
        target = ""
        if phase.page in TARGET_PAGES:
            target = h.verdict(loaded["p99_ms"] < P99_TARGET_MS
                               and (phase.alone is None or alone["p99_ms"] < P99_TARGET_MS))
        rows.append([phase.page, loaded["requests"], f"{load.throughput:.1f}", h.fmt_ms(loaded["p50_ms"]),
                     h.fmt_ms(loaded["p99_ms"]), h.fmt_ms(loaded["max_ms"]), load.error_count, alone["requests"],
                     h.fmt_ms(alone["p50_ms"]), h.fmt_ms(alone["p99_ms"]), f"{load.cpu['server_cores']:.2f}",
                     f"{load.cpu['bench_cores']:.2f}", f"{load.cpu['other_cores']:.2f}",
                     h.fmt_ms(load.cpu_ms_per_request), target])
    return markdown_table(["page", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "1 client n",
                           "1 client p50", "1 client p99", "CPU gunicorn", "CPU bench", "CPU other",
                           "gunicorn CPU ms/req", f"p99 < {P99_TARGET_MS:g} ms"], rows)


def capacity_note(phases: list[Phase], clients: int, cores: int) -> str:
    """What the N-client target asks of the machine: a closed loop keeps N requests in the server at all times."""
    budget = cores * P99_TARGET_MS / clients
    cheapest = min((p.load for p in phases if p.load.requests), key=lambda r: r.cpu_ms_per_request, default=None)
    trivial = [p for p in phases if p.page in ("audit", "floor")]
    text = (f"Capacity: {clients} clients without think time keep {clients} requests in the server at all times; "
            f"on {cores} cores the mean latency is at least {clients} x (CPU per request) / {cores}, so a p99 under "
            f"{P99_TARGET_MS:g} ms needs pages costing well under {budget:.0f} ms of CPU each.")
    if trivial:
        worst = max(trivial, key=lambda p: p.load.overall()["p99_ms"])
        text += (f" For scale: the {worst.page} page ({worst.role.replace('_', ' ')}) costs "
                 f"{worst.load.cpu_ms_per_request:.1f} ms of CPU and has p99 {worst.load.overall()['p99_ms']:.0f} ms "
                 f"with {clients} clients.")
    elif cheapest is not None:
        text += f" The cheapest page measured costs {cheapest.cpu_ms_per_request:.1f} ms."
    return text


def targets(phases: list[Phase]) -> list[dict]:
    goals = []
    for phase in phases:
        if phase.page not in TARGET_PAGES:
            continue
        loaded, alone = phase.load.overall(), phase.one_client()
        who = phase.role.replace("_", " ")
        goals.append({"target": f"{who}, {phase.page} page p99 < {P99_TARGET_MS:g} ms with {phase.load.clients} clients",
                      "measured": f"{loaded['p99_ms']:.1f} ms", "pass": loaded["p99_ms"] < P99_TARGET_MS})
        if phase.alone:
            goals.append({"target": f"{who}, {phase.page} page p99 < {P99_TARGET_MS:g} ms, one client",
                          "measured": f"{alone['p99_ms']:.1f} ms", "pass": alone["p99_ms"] < P99_TARGET_MS})
    errors = sum(p.error_count for p in phases)
    goals.append({"target": "no errors", "measured": f"{errors} errors", "pass": errors == 0})
    return goals


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = h.argument_parser(__doc__)
    parser.add_argument("--cases", type=int, default=300_000, help="cases to generate (default 300000)")
    parser.add_argument("--facilities", type=int, default=150, help="facilities (default 150)")
    parser.add_argument("--years", type=float, default=10,
                        help="the cases' history: filed over this many years, mostly closed but the recent ones "
                             "(default 10); 0: the stress mix of the 100,000-case runs, 75%% open, all filed "
                             "within days")
    h.add_common_arguments(parser, clients=20, who="clients per page", per="page", seconds=8.0,
                           schemas="schemas of its own are made and dropped")
    parser.add_argument("--unloaded-seconds", type=float, default=5.0,
                        help="seconds of one client alone per page, after the load (default 5; 0 skips)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data and the case picks")
    parser.add_argument("--skip-case-manager", action="store_true", help="measure the supervisor only")
    parser.add_argument("--explain", action="store_true", help="print the plans of the queue's query")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.facilities < 3 or args.unloaded_seconds < 0 or args.years < 0:
        parser.error("--cases must be at least 1, --facilities at least 3, --unloaded-seconds and --years "
                     "not negative")
    h.check_common_arguments(parser, args)
    return args


def measure(args, env: dict[str, str], port: int, data: Dataset, tmpdir: Path, cleanups: list) -> list[Phase]:
    """Each account's clients sign in, the pages are checked, then loaded one after the other."""
    log(f"starting gunicorn ({args.workers} workers) on port {port}")
    server = h.start_gunicorn("staff", "kiosk.wsgi:app", h.ROOT, port, args.workers, env, tmpdir, cleanups)
    phases = []
    try:
        h.wait_until_serving(server, "/healthz")
        supervisor, manager = data.accounts
        managed = set(manager.visible_numbers)
        outside = next(n for n in supervisor.visible_numbers if n not in managed)
        for account in data.accounts:
            if account is manager and args.skip_case_manager:
                continue
            log(f"signing in {args.clients} clients as the {account.label}")
            clients = [sign_in(port, account) for _ in range(args.clients)]
            check_pages(clients[0], account, outside if account is manager else None)
            for page in PAGES:
                if page.supervisor_only and account.facility_ids is not None:
                    continue
                phases.append(run_phase(server, clients, account, page, args))
            for client in clients:
                client.close()
    finally:
        h.stop_server(server)
    if server.process.returncode not in (0, -signal.SIGTERM):
        log(f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
    return phases


def run(args, tmpdir: Path, cleanups: list) -> int:
    port = h.free_port()
    _url, env, engine = h.migrated_instance(args, tmpdir, cleanups, f"http://{h.HOST}:{port}")
    log(f"generating {args.cases:,} cases over {args.facilities} facilities")
    data = load_data(engine, env, args.cases, args.facilities, args.seed, args.years)
    log(f"loaded in {data.generate_seconds + data.insert_seconds:.1f} s, analyzed in {data.analyze_seconds:.1f} s")
    plans = queue_plans(engine, data.accounts) if args.explain else None
    busy_before = h.background_busy()
    phases = measure(args, env, port, data, tmpdir, cleanups)
    goals = targets(phases)
    setup = h.setup_of(args, busy_before, unloaded_seconds=args.unloaded_seconds, seed=args.seed, years=args.years)
    print_report(args, setup, data, phases, goals)
    if plans:
        print(f"\n### The queue's query plans\n\n{plans}")
    h.write_json(args.json, {"setup": setup, "data": dataset_json(data), "phases": [p.as_json() for p in phases],
                             "targets": goals})
    return h.exit_code(args.strict, goals)


def print_report(args, setup: dict, data: Dataset, phases: list[Phase], goals: list[dict]) -> None:
    history = f"filed over {args.years:g} years" if args.years else "the stress mix: 75% open, filed within days"
    print(f"## Staff console benchmark ({setup['database']}, {args.cases:,} cases {history}, {args.workers} gunicorn sync "
          f"workers, {args.clients} clients, {args.seconds:g} s per page after {args.warmup:g} s warm-up, "
          f"{args.cores} cores)\n")
    h.print_noise_warnings(setup, [p.load for p in phases])
    print(dataset_report(data), "\n")
    for account in data.accounts:
        mine = [p for p in phases if p.role == account.role]
        if mine:
            print(f"### Signed in as the {account.label} ({account.open_visible:,} open cases visible)\n")
            print(phase_table(mine, args.clients), "\n")
    print(f"Pages: {'; '.join(f'{p.name} = {p.describe}' for p in PAGES)}. "
          "'1 client': the same page, one request at a time, right after the load (service time, no queueing). "
          f"CPU columns: cores in use (of {args.cores}) by gunicorn, by this bench, by everything else "
          "(the database server, the kernel, other people's work). Closed loop without think time: mean latency = "
          "clients / throughput, so with more clients than cores most of the latency under load is queueing. "
          "'gunicorn CPU ms/req': gunicorn's CPU time per request (on SQLite the database's work included).\n")
    print(capacity_note(phases, args.clients, args.cores), "\n")
    h.print_verdicts(goals)
    sys.stdout.flush()


def dataset_json(data: Dataset) -> dict:
    return {"cases": data.cases, "open": data.open, "events": data.events, "facilities": data.facilities,
            "housing_units": data.housing_units, "detainees": data.detainees,
            "categories": dict(data.categories), "languages": dict(data.languages), "statuses": dict(data.statuses),
            "emergencies": data.emergencies, "open_overdue": data.open_overdue,
            "generate_seconds": data.generate_seconds, "insert_seconds": data.insert_seconds,
            "analyze_seconds": data.analyze_seconds, "all_visible": data.all_visible, "translations": data.translations,
            "accounts": [{"role": a.role, "facilities": a.facility_codes or "all", "cases": len(a.visible_numbers),
                          "open": a.open_visible} for a in data.accounts]}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    phases = len(PAGES) * 2 - 1  # both accounts; the audit page is the supervisor's only
    return h.run_bench(lambda tmpdir, cleanups: run(args, tmpdir, cleanups), prefix="staff-bench-",
                       time_limit=int(900 + phases * (args.warmup + args.seconds + args.unloaded_seconds + 10)))


if __name__ == "__main__":
    sys.exit(main())
