"""Benchmark: how fast the SMS webhook answers STATUS texts under load.

What it measures
  Family members text "STATUS <case number> [share code]" to the Twilio number;
  Twilio POSTs each message to /sms/twilio, signed with X-Twilio-Signature, and
  the product answers in the response (TwiML). The product runs under gunicorn
  (sync workers, --workers N --threads 1, N = 2 x cores + 1 by default) on a
  throw-away database loaded with the demo data (`kioskctl demo --json --force`).

  50 sender threads, each with its own keep-alive http.client connection, POST
  signed webhook requests exactly as Twilio does: form fields MessageSid, From,
  To, Body, and the signature computed for KIOSK_PUBLIC_URL + /sms/twilio
  (https://sms.bench.invalid; the requests themselves go to 127.0.0.1). Every
  request carries a new, unique MessageSid, so each one is a new message the
  product looks up, answers and stores (no retry short-cut). The mix:
    - every other sender texts from the number case 1 trusts (+15125550199),
      "STATUS <case 1>" without a code;
    - the others text from five unknown numbers, "STATUS <case> <share code>",
      cycling over the five demo cases.
  Every lookup succeeds (correct codes): the numbers are few and shared, and
  five failed lookups in an hour would lock a number out. Each phone number
  texts once before the load, one at a time, as a family that has texted
  before: a number's first message creates its sms_senders row, and a burst of
  first messages from one new number is not what this measures. The warm-up
  (2 s) is not timed. A response counts as an error unless it is a 200 whose
  <Message> contains the case number asked about. After the load, the
  sms_inbound table must hold one row per answered message and no failed lookup.

  The same senders then POST the same signed forms to "/" of a bare Flask app
  (form_app in bench/hello_app.py, which reads the form) under identical
  gunicorn settings: the baseline. Every request of the measuring window is
  timed (request + whole body read).
  Targets: webhook p99 < 100 ms, webhook throughput >= 0.5 x the bare app's,
  no errors.

How to run
  .venv/bin/python bench/sms_status.py                 # SQLite, about 35 s
  .venv/bin/python bench/sms_status.py --database-url postgresql://postgres@127.0.0.1:5432/test
  options: --clients 50 --seconds 10 --warmup 2 --workers 5 --json out.json --strict

Everything lives in a temporary directory (and, on PostgreSQL, a schema of its
own) that is removed at the end, also on Ctrl-C. Nothing but 127.0.0.1 is
contacted: Twilio is never called (a STATUS is answered in the webhook's own
response). The report is printed as Markdown tables (progress goes to stderr);
the exit code is 0 unless --strict is given and a target is missed.

The servers, the load loop and the tables come from bench/_harness.py. The load
generator runs on the same machine as the servers and competes with them for the
CPU (its own CPU use is reported next to theirs).
"""
from __future__ import annotations

import argparse
import secrets
import sqlite3
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import count
from pathlib import Path

import _harness as h
from _harness import BenchError, log
from twilio.request_validator import RequestValidator

PUBLIC_URL = "https://sms.bench.invalid"  # what "Twilio" signs; the requests go to 127.0.0.1
WEBHOOK = "/sms/twilio"
ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+15555550100"  # the product's Twilio number: the To of every message
TRUSTED_PHONE = "+15125550199"  # the demo's case 1 trusts it
CODE_PHONES = [f"+1512555020{n}" for n in range(1, 6)]  # strangers who were given share codes
P99_TARGET_MS = 100.0
THROUGHPUT_TARGET = 0.5


# --------------------------------------------------------------------------- the texts


@dataclass(frozen=True)
class Text:
    kind: str          # the row of the per-kind table
    phone: str
    body: str
    case_number: str   # what the answer must mention


def texts_for(sender: int, cases: list[dict]) -> list[Text]:
    """What one sender texts, in turn: even senders from the trusted number, odd ones with codes."""
    if sender % 2 == 0:
        first = cases[0]
        if TRUSTED_PHONE not in first["trusted_phones"]:
            raise BenchError(f"demo case {first['case_number']} does not trust {TRUSTED_PHONE}")
        return [Text("STATUS, trusted number", TRUSTED_PHONE, f"STATUS {first['case_number']}", first["case_number"])]
    phone = CODE_PHONES[(sender // 2) % len(CODE_PHONES)]
    rotated = cases[sender % len(cases):] + cases[:sender % len(cases)]
    return [Text("STATUS + share code", phone, f"STATUS {c['case_number']} {c['share_code']}", c["case_number"])
            for c in rotated]


class Sender:
    """One sender: a keep-alive connection that delivers texts as Twilio's signed webhook."""

    def __init__(self, port: int, index: int, texts: list[Text], validator: RequestValidator, run_tag: str):
        self.client = h.Client(port)
        self.texts = texts
        self.validator = validator
        self.sid_prefix = f"SM{run_tag}{index:08x}"  # SM + 32 hex digits, like Twilio's
        self.messages = count()
        self.turn = count()
        self.text = texts[0] if texts else None  # the last one sent
        self.answered = 0  # 200s from the webhook, warm-up included: each one stored a message

    def deliver_next(self, path: str) -> h.Response:
        return self.deliver(path, self.texts[next(self.turn) % len(self.texts)])

    def deliver(self, path: str, text: Text) -> h.Response:
        """POSTs one new message (a fresh MessageSid) to path, signed for the webhook's public URL."""
        params = {"MessageSid": f"{self.sid_prefix}{next(self.messages):016x}", "From": text.phone,
                  "To": FROM_NUMBER, "Body": text.body}
        signature = self.validator.compute_signature(PUBLIC_URL + WEBHOOK, params)
        # Twilio keeps no cookies: the webhook is expected to set none (the jar would send them back).
        self.text = text
        response = self.client.request("POST", path, params, headers={"X-Twilio-Signature": signature})
        self.answered += path == WEBHOOK and response.status == 200
        return response

    def close(self) -> None:
        self.client.close()


def reply_of(response: h.Response) -> str | None:
    text = response.text
    if "<Message>" not in text:
        return None
    return text.split("<Message>", 1)[1].split("</Message>", 1)[0]


def webhook_answered(response: h.Response, text: Text) -> bool:
    reply = reply_of(response)
    return response.status == 200 and reply is not None and text.case_number in reply


def hello_answered(response: h.Response, _text: Text) -> bool:
    return response.status == 200 and response.body == b"hello"


@dataclass(frozen=True)
class Target:
    name: str
    server: h.Server
    path: str
    answered: Callable[[h.Response, Text], bool]
    wrong_answer: str  # the error counted when a 200 is not the expected answer


# --------------------------------------------------------------------------- load


def sender_loop(sender: Sender, target: Target, window: tuple[float, float], stop: threading.Event) -> h.Recorder:
    """One sender delivering its texts until the window ends."""
    def check(response: h.Response) -> str | None:
        if response.status != 200:
            return f"HTTP {response.status}"
        return None if target.answered(response, sender.text) else target.wrong_answer

    key = sender.text.kind if target.path == WEBHOOK else f"POST {target.path}"  # a sender's texts are of one kind
    return h.request_loop(key, partial(sender.deliver_next, target.path), check, window, stop)


def run_load(target: Target, senders: list[Sender], warmup: float, seconds: float) -> h.LoadResult:
    loops = [partial(sender_loop, sender, target) for sender in senders]
    return h.run_load(target.name, target.server, loops, warmup, seconds, who="senders")


# --------------------------------------------------------------------------- setup


def first_contact(port: int, cases: list[dict], validator: RequestValidator, run_tag: str) -> int:
    """Each phone number texts once, one after the other, and must get its answer; returns how many."""
    phones = {}
    for index in range(2 * len(CODE_PHONES)):  # every phone number of the mix
        text = texts_for(index, cases)[0]
        phones.setdefault(text.phone, text)
    sender = Sender(port, 0xFFFFFFFF, [], validator, run_tag)
    try:
        for text in phones.values():
            response = sender.deliver(WEBHOOK, text)
            if not webhook_answered(response, text):
                raise BenchError(f"{text.phone} texting {text.body!r}: expected a 200 with the case number, "
                                 f"got {response.status}: {response.text[:300]!r}")
    finally:
        sender.close()
    log(f"{len(phones)} phone numbers texted once: every STATUS answered")
    return len(phones)


def stored_messages(database_url: str) -> dict[str, int]:
    """What the sms_inbound and sms_senders tables hold after the load."""
    query = ("SELECT (SELECT count(*) FROM sms_inbound), "
             "(SELECT count(*) FROM sms_inbound WHERE failed_lookup), "
             "(SELECT count(*) FROM sms_senders WHERE locked_until IS NOT NULL)")
    if database_url.startswith("sqlite:///"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            stored, failed, locked = connection.execute(query).fetchone()
        finally:
            connection.close()
    else:
        import psycopg

        with psycopg.connect(h.libpq_url(database_url), connect_timeout=10) as connection:
            stored, failed, locked = connection.execute(query).fetchone()
    return {"stored": stored, "failed_lookups": failed, "locked_numbers": locked}


# --------------------------------------------------------------------------- report


def targets(sms: h.LoadResult, hello: h.LoadResult, storage: dict) -> list[dict]:
    kept = (storage["stored"] == storage["expected"] and storage["failed_lookups"] == 0
            and storage["locked_numbers"] == 0)
    return h.load_targets("webhook", sms, hello, "bare app", P99_TARGET_MS, THROUGHPUT_TARGET) + [
        {"target": "one stored message per answer, no failed lookup",
         "measured": f"{storage['stored']} stored / {storage['expected']} answered, "
                     f"{storage['failed_lookups']} failed lookups, {storage['locked_numbers']} numbers locked",
         "pass": kept},
    ]


def print_report(setup: dict, sms: h.LoadResult, hello: h.LoadResult, goals: list[dict]) -> None:
    print(f"## SMS webhook benchmark ({setup['database']}, {setup['workers']} gunicorn sync workers, "
          f"{setup['clients']} senders, {setup['seconds']:g} s after {setup['warmup']:g} s warm-up, "
          f"{setup['cores']} cores)\n")
    h.print_noise_warnings(setup, [sms, hello], baseline=hello)
    print(h.load_table([sms, hello]), "\n")
    print(f"'sms': signed STATUS texts POSTed to {WEBHOOK}, each a new MessageSid; 'hello': the same signed forms "
          f"POSTed to a bare Flask app. CPU columns: cores in use (of {setup['cores']}) by the app's gunicorn, by "
          "this bench, and by everything else (kernel, database server, other people's work). Gunicorn's sync "
          "workers close the connection after every response, hence one TCP connect per request. Closed loop "
          "without think time: mean latency = senders / throughput (Little's law).\n")
    print(h.path_table(sms, "text"), "\n")
    print(f"gunicorn CPU per request: sms {sms.cpu_ms_per_request:.2f} ms, hello {hello.cpu_ms_per_request:.2f} ms\n")
    print(h.targets_table(goals), "\n")
    h.print_verdicts(goals)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = h.argument_parser(__doc__)
    h.add_common_arguments(parser, clients=50, who="senders")
    args = parser.parse_args(argv)
    h.check_common_arguments(parser, args)
    return args


def drive(target: Target, args: argparse.Namespace, cases: list[dict], validator: RequestValidator,
          run_tag: str) -> tuple[h.LoadResult, int]:
    """The load on one target, and how many webhook answers (warm-up included) were 200s."""
    senders = [Sender(target.server.port, i, texts_for(i, cases), validator, run_tag) for i in range(args.clients)]
    try:
        return run_load(target, senders, args.warmup, args.seconds), sum(s.answered for s in senders)
    finally:
        for sender in senders:
            sender.close()


def run(args: argparse.Namespace, tmpdir: Path, cleanups: list) -> int:
    database_url = h.throw_away_database(args, tmpdir, cleanups)
    auth_token = secrets.token_hex(16)
    env = {**h.kiosk_environ(tmpdir, database_url, PUBLIC_URL),
           "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": auth_token, "TWILIO_FROM_NUMBER": FROM_NUMBER}
    cases = h.demo_data(env)["cases"]
    if not cases:
        raise BenchError("the demo data has no cases")

    sms_server, hello_server = h.start_with_baseline(args, env, h.free_port(), "form_app", tmpdir, cleanups)
    validator, run_tag = RequestValidator(auth_token), secrets.token_hex(4)
    primed = first_contact(sms_server.port, cases, validator, run_tag)
    busy_before = h.background_busy()
    webhook = Target("sms", sms_server, WEBHOOK, webhook_answered, "no <Message> with the case number")
    sms, answered = drive(webhook, args, cases, validator, run_tag)
    storage = {**stored_messages(database_url), "expected": primed + answered}
    bare = Target("hello", hello_server, "/", hello_answered, "body is not 'hello'")
    hello, _ = drive(bare, args, cases, validator, run_tag)

    goals = targets(sms, hello, storage)
    setup = h.setup_of(args, busy_before, public_url=PUBLIC_URL, phones=[TRUSTED_PHONE, *CODE_PHONES])
    print_report(setup, sms, hello, goals)
    h.write_json(args.json, {"setup": setup, "load": h.load_json(sms, hello), "storage": storage, "targets": goals})
    return h.exit_code(args.strict, goals)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return h.run_bench(lambda tmpdir, cleanups: run(args, tmpdir, cleanups), prefix="sms-bench-",
                       time_limit=int(90 + 2 * (args.warmup + args.seconds)))


if __name__ == "__main__":
    sys.exit(main())
