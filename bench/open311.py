"""Benchmark: the Open311 export (kiosk/core/open311.py) over a long history.

What it does, in one run
  1. Makes a throw-away instance and the history of bench/patterns.py (its load_data: 1,000,000 cases
     (--cases) over 10 years (--years) and 150 facilities (--facilities), the last 15 days with a machine
     translation into English), then says that every other case may be named to the facility, so half the
     descriptions are read, scrubbed and quoted.
  2. In process, --repeat times each, one page of 1,000 requests as the view builds it (the one query,
     the scrubbing, json.dumps), against a baseline on the same rows: the same page of ids joined bare,
     without the English (the correlated subquery) and without building or scrubbing anything. Queries:
       90 days          the default window, a supervisor (every facility)
       15 days, quoted  the days with translations: the English read and scrubbed on half the rows
       10 years         the whole history, page 1
       10 years, deep   page 500 (an offset of 499,000 rows: the cost of paging by offset)
       3 facilities     a case manager's 90 days
       1,000 numbers    service_request_id with 1,000 case numbers
  Target: every page p99 < 1 s (issue 18's target for a report, one client).

How to run
  .venv/bin/python bench/open311.py --database-url postgresql://postgres@127.0.0.1:5432/test
  options: --cases 1000000 --years 10 --facilities 150 --repeat 20 --seed 1 --json out.json --strict
"""
from __future__ import annotations

import json
import random
import time
from datetime import timedelta
from pathlib import Path

import _harness as h
from _harness import log, markdown_table
from patterns import add_history_arguments, check_history_arguments, load_data
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kiosk.core import open311
from kiosk.core.models import Case, Facility

TARGET_MS = 1000.0


def _baseline(session: Session, query: open311.Query, visible: list[int] | None) -> int:
    """The same rows, read bare: what the page costs beyond the database's own reading."""
    page = open311.page_of(query, visible)
    return len(session.execute(
        select(Case.number, Case.status, Case.category, Case.created_at, Facility.code)
        .join(page, page.c.id == Case.id).join(Facility, Facility.id == Case.facility_id)
        .order_by(Case.created_at, Case.id)).all())


def _product(session: Session, query: open311.Query, visible: list[int] | None) -> int:
    page = open311.service_requests(session, query, visible)
    json.dumps(page.requests, indent=1)
    return len(page.requests)


def _timed(engine, work, query, visible, repeat: int) -> tuple[list[float], int]:
    times, found = [], 0
    with Session(engine) as session:
        work(session, query, visible)  # warm
        for _ in range(repeat):
            began = time.perf_counter()
            found = work(session, query, visible)
            times.append((time.perf_counter() - began) * 1000)
    return sorted(times), found


def run(args, tmpdir: Path, cleanups: list) -> int:
    _url, env, engine = h.migrated_instance(args, tmpdir, cleanups, f"http://{h.HOST}:8000")
    log(f"generating {args.cases:,} cases over {args.years} years and {args.facilities} facilities")
    data = load_data(engine, env, args)
    with engine.begin() as connection:  # every other person said the facility may know who they are
        connection.execute(update(Case).where(Case.id % 2 == 0).values(may_name_to_facility=True))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) cases" if args.database_url else "ANALYZE")
    now = data.end
    with Session(engine) as session:
        numbers = list(session.scalars(select(Case.number).order_by(Case.id).limit(1000)))
        largest = list(session.scalars(select(Case.facility_id).group_by(Case.facility_id)
                                       .order_by(Case.facility_id).limit(3)))
    rng = random.Random(args.seed)
    rng.shuffle(numbers)
    day = timedelta(days=1)
    scenarios = [("90 days", open311.Query(now - 90 * day, now), None),
                 ("15 days, quoted", open311.Query(now - 15 * day, now), None),
                 ("10 years", open311.Query(now - 3653 * day, now), None),
                 ("10 years, page 500", open311.Query(now - 3653 * day, now, page=500), None),
                 ("3 facilities, 90 days", open311.Query(now - 90 * day, now), largest),
                 ("1,000 numbers", open311.Query(now, now, numbers=tuple(numbers)), None)]
    rows, goals, figures = [], [], {}
    for name, query, visible in scenarios:
        log(f"timing {name}")
        product, found = _timed(engine, _product, query, visible, args.repeat)
        baseline, _ = _timed(engine, _baseline, query, visible, args.repeat)
        p50, p99 = h.percentile(product, 50), h.percentile(product, 99)
        b50 = h.percentile(baseline, 50)
        rows.append([name, found, h.fmt_ms(p50), h.fmt_ms(p99), h.fmt_ms(b50), f"{p50 / b50:.1f} x"])
        figures[name] = {"requests": found, "p50_ms": p50, "p99_ms": p99, "baseline_p50_ms": b50}
        goals.append({"target": f"Open311 page ({name}) p99 < {TARGET_MS:g} ms", "measured": f"{p99:.1f} ms",
                      "pass": p99 < TARGET_MS})
    print(f"## Open311 export ({'PostgreSQL' if args.database_url else 'SQLite'}, {data.cases:,} cases over "
          f"{args.years} years, {args.facilities} facilities, {args.cores} cores, {args.repeat} runs each)\n")
    print(markdown_table(["query", "requests", "p50", "p99", "baseline p50", "p50 / baseline"], rows,
                         right={1, 2, 3, 4, 5}), "\n")
    h.print_verdicts(goals)
    h.write_json(args.json, {"targets": goals, "pages": figures})
    return h.exit_code(args.strict, goals)


def parse_args(argv: list[str] | None):
    parser = h.argument_parser(__doc__)
    add_history_arguments(parser)
    parser.add_argument("--repeat", type=int, default=20, help="runs of each page (default 20)")
    h.add_common_arguments(parser, clients=1, per="page", one_worker_per_core=True)
    args = parser.parse_args(argv)
    check_history_arguments(parser, args)
    if args.repeat < 1:
        parser.error("--repeat at least 1")
    h.check_common_arguments(parser, args)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return h.run_bench(lambda tmpdir, cleanups: run(args, tmpdir, cleanups), prefix="open311-bench-",
                       time_limit=2 * 3600)


if __name__ == "__main__":
    raise SystemExit(main())
