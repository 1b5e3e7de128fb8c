"""Benchmark: how fast the kiosk answers under load, and how much a page weighs.

What it measures
  1. Throughput and latency. The product runs under gunicorn as
     deploy/gunicorn.conf.py runs it (sync workers, --threads 1, one worker
     per core by default) on a throw-away database. wrk (Debian's load
     generator, in C) drives 50 connections, each a browser of its own
     (its own cookies, a kiosk session in Spanish, opened one after another
     over the 10 s between two writes of its expiry, as people come to
     kiosks at different times) looping over the kiosk
     pages /kiosk/, /kiosk/home, /kiosk/track, /kiosk/file (a 302) and
     /kiosk/file/who; bench/wrk_browsers.lua times every request begun in
     the measuring window, after a warm-up (request written to whole body
     read; the server's accept queue is inside that). The same 50 connections
     then load a bare Flask "hello" app (bench/hello_app.py) under identical
     gunicorn settings, as the baseline. The two take turns (--rounds, 5 by
     default, sharing --seconds), so a slow stretch of a shared machine falls
     on both. The bench's own Python client, once the load generator, cost
     0.3-0.6 of this machine's two cores and kept every sync worker waiting
     for its close; it now only sets the sessions up and weighs the pages.
     Targets, the guard on SQLite: kiosk p99 < 50 ms, and kiosk throughput
     >= 0.45 x hello's. On PostgreSQL, whose server shares the cores, the
     same verdicts are printed for comparison.
  2. Transfer size. One client per language (--languages, Spanish and Chinese
     by default) walks the real flow (language, A-number, PIN, category,
     questions, words, review, send, receipt, track, case page) and, for every
     page, adds the HTML to every distinct stylesheet, script, image, SVG
     <use> and CSS url(...) it references: what a first visit with an empty
     cache downloads. The server does not compress, so sizes are uncompressed;
     gzip sizes are computed locally for information. Target: each page < 40 KB.
     The Chinese keyboard's dictionary, which keyboard.js fetches on the
     Chinese words page, is left out of that page's weight and reported on its
     own, plain and gzipped as the kiosk serves it to a browser that accepts
     gzip: a kiosk fetches it once and keeps it a year (its address carries
     its content's hash). tests/test_page_weight.py checks every page in all
     14 languages.

How to run (the load needs wrk: apt-get install wrk)
  .venv/bin/python bench/kiosk_pages.py                 # SQLite, about 55 s
  make bench
  .venv/bin/python bench/kiosk_pages.py --database-url postgresql://postgres@127.0.0.1:5432/test
  .venv/bin/python bench/kiosk_pages.py --weight-only   # page weights only, no wrk, about 10 s
  options: --clients 50 --seconds 10 --rounds 5 --warmup 2 --workers 2 --languages es,zh_Hans
           --weight-only --json out.json --strict

Everything lives in a temporary directory (and, on PostgreSQL, a schema of its
own) that is removed at the end, also on Ctrl-C. Nothing but 127.0.0.1 is
contacted. The report is printed as Markdown tables (progress goes to stderr);
the exit code is 0 unless --strict is given and a target is missed.

Simplifications: a client's cookie jar is a name -> value dict (every kiosk
cookie has Path=/kiosk, and every request goes there); wrk runs on the same
machine as the servers and competes with them for the CPU (its own
CPU use is reported next to theirs).
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urldefrag, urljoin, urlsplit

import _harness as h
from _harness import (
    HOST, BenchError, Browser, Client, LoadResult, Server, expect_ok, expect_redirect, load_table, log,
    markdown_table,
)

from kiosk.web.sessions import REFRESH_EVERY

KIOSK_LOOP = ["/kiosk/", "/kiosk/home", "/kiosk/track", "/kiosk/file", "/kiosk/file/who"]
HELLO_LOOP = ["/"]
P99_TARGET_MS = 50.0
THROUGHPUT_TARGET = 0.45
PAGE_BUDGET = 40 * 1024
CHINESE = "zh_Hans"
ROUND_WARMUP = 0.5  # after the first turn the servers are warm; the clients only need to get going

DEMO_A_NUMBER = "201234567"
DEMO_PIN = "2468"


# --------------------------------------------------------------------------- setup


def enroll_device(port: int, enrollment_url: str) -> str:
    """Spends the demo's one-time enrollment URL; returns the device token every client shares."""
    parts = urlsplit(enrollment_url)
    if parts.hostname != HOST or parts.port != port:
        raise BenchError(f"enrollment URL {enrollment_url} is not on {HOST}:{port}")
    client = Client(port)
    expect_redirect(client.get(parts.path), "/kiosk/", "enrollment")
    client.close()
    if "kiosk_device" not in client.cookies:
        raise BenchError("enrollment set no kiosk_device cookie")
    return client.cookies["kiosk_device"]


def spanish_kiosk_client(port: int, device_token: str) -> Client:
    client = Client(port, {"kiosk_device": device_token})
    expect_redirect(client.get("/kiosk/language/es"), "/kiosk/home", "choosing Spanish")
    if "kiosk_session" not in client.cookies:
        raise BenchError("choosing a language set no kiosk_session cookie")
    return client


def catalogs_compiled() -> bool:
    return (h.ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.mo").exists()


# --------------------------------------------------------------------------- page weight


class PageParser(HTMLParser):
    """What a browser would fetch for a page, plus the form values the walk needs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.assets: list[str] = []
        self.inputs: dict[str, str] = {}
        self.case_number = ""
        self.keyboard_layouts: list[dict] = []
        self._in_case_number = False
        self._in_layouts = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        rel = (a.get("rel") or "").lower().split()
        if tag == "link" and ("stylesheet" in rel or "icon" in rel) and a.get("href"):
            self.assets.append(a["href"])
        elif tag in ("script", "img") and a.get("src"):
            self.assets.append(a["src"])
        elif tag in ("use", "image") and (a.get("href") or a.get("xlink:href")):
            self.assets.append(a.get("href") or a.get("xlink:href"))
        elif tag == "input" and a.get("name"):
            self.inputs[a["name"]] = a.get("value") or ""
        elif tag == "p" and "case-number" in (a.get("class") or "").split():
            self._in_case_number = True
        self._in_layouts = tag == "script" and a.get("id") == "keyboard-layouts"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "p":
            self._in_case_number = False

    def handle_data(self, data):
        if self._in_case_number:
            self.case_number += data.strip()
        if self._in_layouts:
            self.keyboard_layouts = json.loads(data)
            self._in_layouts = False


CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""")
CSS_IMPORT = re.compile(r"""@import\s+(['"])([^'"]+)\1""")


class AssetStore:
    """Fetches each static file once; knows what a stylesheet pulls in (fonts, images, imports)."""

    def __init__(self, port: int):
        self.port = port
        self.client = Client(port)
        self.bodies: dict[str, bytes] = {}
        self.skipped: set[str] = set()

    def local_path(self, reference: str, base: str) -> str | None:
        """The same-origin path a reference resolves to, or None (data: URIs, other hosts)."""
        url, _fragment = urldefrag(urljoin(f"http://{HOST}:{self.port}{base}", reference.strip()))
        parts = urlsplit(url)
        if parts.scheme == "data" or not url:
            return None
        if parts.scheme != "http" or parts.hostname != HOST or parts.port != self.port:
            self.skipped.add(url)  # never fetched: the bench talks to 127.0.0.1 only
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def fetch(self, path: str) -> bytes:
        if path not in self.bodies:
            response = self.client.get(path)
            expect_ok(response, f"asset {path}")
            self.bodies[path] = response.body
        return self.bodies[path]

    def closure(self, references: list[str], base: str) -> list[str]:
        """Every distinct asset path the references need, stylesheets' own references included."""
        found: list[str] = []
        pending = [(ref, base) for ref in references]
        while pending:
            reference, against = pending.pop(0)
            path = self.local_path(reference, against)
            if path is None or path in found:
                continue
            found.append(path)
            body = self.fetch(path)
            if urlsplit(path).path.endswith(".css"):
                css = body.decode("utf-8", "replace")
                pending += [(m.group(2), path) for m in CSS_URL.finditer(css)]
                pending += [(m.group(2), path) for m in CSS_IMPORT.finditer(css)]
        return found


def gzipped_size(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6, mtime=0))


@dataclass
class PageWeight:
    language: str
    name: str
    path: str
    html: int
    html_gzip: int
    assets: dict[str, int]
    assets_gzip: int

    @property
    def assets_total(self) -> int:
        return sum(self.assets.values())

    @property
    def total(self) -> int:
        return self.html + self.assets_total

    @property
    def total_gzip(self) -> int:
        return self.html_gzip + self.assets_gzip

    @property
    def ok(self) -> bool:
        return self.total < PAGE_BUDGET

    def as_json(self) -> dict:
        return {"language": self.language, "page": self.name, "path": self.path, "html_bytes": self.html, "assets_bytes": self.assets_total,
                "total_bytes": self.total, "html_gzip_bytes": self.html_gzip, "total_gzip_bytes": self.total_gzip,
                "assets": self.assets, "under_budget": self.ok}


class FlowWalker:
    """A detainee going through the kiosk, weighing every page on the way."""

    def __init__(self, client: Client, store: AssetStore, language: str):
        self.client = client
        self.store = store
        self.language = language
        self.csrf = ""
        self.pages: list[PageWeight] = []

    def visit(self, name: str, path: str) -> PageParser:
        response = self.client.get(path)
        expect_ok(response, f"page {name} ({path})")
        parser = PageParser()
        parser.feed(response.text)
        self.csrf = parser.inputs.get("csrf_token", self.csrf)
        assets = self.store.closure(parser.assets, path)
        bodies = {asset: self.store.fetch(asset) for asset in assets}
        self.pages.append(PageWeight(
            self.language, name, path, len(response.body), gzipped_size(response.body),
            {asset: len(body) for asset, body in bodies.items()},
            sum(gzipped_size(body) for body in bodies.values()),
        ))
        return parser

    def follow(self, path: str, target: str) -> None:
        expect_redirect(self.client.get(path), target, f"GET {path}")

    def submit(self, path: str, form: dict[str, str], target: str) -> None:
        if not self.csrf:
            raise BenchError(f"no CSRF token seen before POST {path}")
        expect_redirect(self.client.post(path, {"csrf_token": self.csrf, **form}), target, f"POST {path}")


@dataclass
class Dictionary:
    """The Chinese keyboard's dictionary as the words page's keyboard.js fetches it."""
    path: str
    plain: int
    served_gzip: int  # what a browser that accepts gzip (every kiosk's) downloads
    entries: int

    def as_json(self) -> dict:
        return {"path": self.path, "bytes": self.plain, "gzip_bytes": self.served_gzip, "entries": self.entries}


def weigh_dictionary(port: int, words_page: PageParser) -> Dictionary:
    tables = [layout["table"] for layout in words_page.keyboard_layouts if layout.get("mode") == "pinyin"]
    if not tables:
        raise BenchError("the Chinese words page has no pinyin layout with a table")
    client = Client(port)
    plain = client.request("GET", tables[0], headers={"Accept-Encoding": "identity"})
    served = client.request("GET", tables[0], headers={"Accept-Encoding": "gzip"})
    client.close()
    expect_ok(plain, f"dictionary {tables[0]}")
    expect_ok(served, f"dictionary {tables[0]}, gzipped")
    if served.headers.get("Content-Encoding") != "gzip" or gzip.decompress(served.body) != plain.body:
        raise BenchError("the dictionary is not served gzipped to a browser that accepts gzip (run make setup)")
    return Dictionary(tables[0], len(plain.body), len(served.body), plain.body.count(b"\n"))


def weigh_pages(port: int, device_token: str, language: str) -> tuple[list[PageWeight], set[str], PageParser]:
    """Every page of the flow in one language; also the words page as parsed."""
    log(f"walking the kiosk flow in {language} and weighing every page")
    store = AssetStore(port)
    walker = FlowWalker(Client(port, {"kiosk_device": device_token}), store, language)
    walker.visit("language list", "/kiosk/")
    walker.follow(f"/kiosk/language/{language}", "/kiosk/home")
    walker.visit("home", "/kiosk/home")
    walker.follow("/kiosk/file", "/kiosk/file/who")
    walker.visit("who (A-number keypad)", "/kiosk/file/who")
    walker.submit("/kiosk/file/who", {"a_number": DEMO_A_NUMBER}, "/kiosk/file/category")
    walker.visit("category", "/kiosk/file/category")
    walker.submit("/kiosk/file/category", {"choice": "medical"}, "/kiosk/file/question/urgent")
    walker.visit("question (urgent)", "/kiosk/file/question/urgent")
    walker.submit("/kiosk/file/question/urgent", {"choice": "yes"}, "/kiosk/file/emergency?after=urgent")
    walker.visit("emergency", "/kiosk/file/emergency?after=urgent")
    walker.submit("/kiosk/file/question/since", {"choice": "today"}, "/kiosk/file/question/raised_with_facility")
    walker.submit("/kiosk/file/question/raised_with_facility", {"choice": "told_staff"}, "/kiosk/file/pin")
    walker.visit("pin", "/kiosk/file/pin")
    walker.submit("/kiosk/file/pin", {"pin": DEMO_PIN}, "/kiosk/file/pin-again")
    walker.submit("/kiosk/file/pin-again", {"pin": DEMO_PIN}, "/kiosk/file/words")
    words = walker.visit("words (on-screen keyboard)", "/kiosk/file/words")
    walker.submit("/kiosk/file/words", {"description": "Me duele el pecho desde anoche."},
                  "/kiosk/file/protection/may_name")
    walker.visit("may name (question with a hint)", "/kiosk/file/protection/may_name")
    walker.submit("/kiosk/file/protection/may_name", {"choice": "no"}, "/kiosk/file/protection/fears_retaliation")
    walker.submit("/kiosk/file/protection/fears_retaliation", {"choice": "yes"}, "/kiosk/file/review")
    review = walker.visit("review", "/kiosk/file/review")
    walker.submit("/kiosk/file/review", {"submission": review.inputs.get("submission", "")}, "/kiosk/receipt")
    receipt = walker.visit("receipt", "/kiosk/receipt")
    if not re.fullmatch(r"\d{2}-\d{4}-\d{4}", receipt.case_number):
        raise BenchError(f"no case number on the receipt (found {receipt.case_number!r})")
    walker.visit("track", "/kiosk/track")
    walker.visit("case status", f"/kiosk/case/{quote(receipt.case_number)}")
    walker.client.close()
    store.client.close()
    return walker.pages, store.skipped, words


# --------------------------------------------------------------------------- report


def targets(database: str, kiosk: LoadResult, hello: LoadResult) -> list[dict]:
    return h.load_targets(f"kiosk on {database}", kiosk, hello, "hello", P99_TARGET_MS, THROUGHPUT_TARGET)


def weight_table(pages: list[PageWeight]) -> str:
    rows = [[p.language, p.name, p.path, p.html, p.assets_total, p.total, f"{p.total / 1024:.1f}", p.total_gzip,
             h.verdict(p.ok)] for p in pages]
    return markdown_table(["lang", "page", "path", "HTML B", "assets B", "total B", "total KB", "gzip total B",
                           f"< {PAGE_BUDGET // 1024} KB"], rows, right={3, 4, 5, 6, 7})


def dictionary_line(dictionary: Dictionary | None, pages: list[PageWeight]) -> str:
    if dictionary is None:
        return f"(no Chinese page weighed: add {CHINESE} to --languages for the dictionary's size)"
    words = next(p for p in pages if p.language == CHINESE and p.path == "/kiosk/file/words")
    return (f"Chinese words page: {words.total} B ({words.total / 1024:.1f} KB, {words.total_gzip} B gzipped), "
            f"without the pinyin dictionary its keyboard fetches: {dictionary.entries} entries, "
            f"{dictionary.plain} B ({dictionary.plain / 1024:.0f} KB) plain, {dictionary.served_gzip} B "
            f"({dictionary.served_gzip / 1024:.0f} KB) gzipped as served; fetched once per kiosk, cached a year.")


def print_weights(pages: list[PageWeight], dictionary: Dictionary | None) -> None:
    print("### Page weight (first visit, empty cache, uncompressed as served)\n")
    print(weight_table(pages), "\n")
    print(asset_table(pages), "\n")
    print(dictionary_line(dictionary, pages), "\n")


def asset_table(pages: list[PageWeight]) -> str:
    sizes: dict[str, int] = {}
    for page in pages:
        sizes.update(page.assets)
    rows = [[path, size, sum(path in p.assets for p in pages)] for path, size in sorted(sizes.items())]
    return markdown_table(["asset", "bytes", "pages using it"], rows)


def print_report(setup: dict, kiosk: LoadResult, hello: LoadResult, pages: list[PageWeight],
                 dictionary: Dictionary | None, goals: list[dict]) -> None:
    print(f"## Kiosk benchmark ({setup['database']}, {setup['workers']} gunicorn sync workers, "
          f"{setup['clients']} clients, {setup['seconds']:g} s in {setup['rounds']} turns after "
          f"{setup['warmup']:g} s warm-up, {setup['cores']} cores)\n")
    if not setup["catalogs_compiled"]:
        print("> Warning: translations are not compiled (no translations/es/LC_MESSAGES/messages.mo);\n"
              "> the 'Spanish' pages render in English. `make bench` compiles them first.\n")
    h.print_noise_warnings(setup, [kiosk, hello], baseline=hello)
    print(load_table([kiosk, hello]), "\n")
    print(f"CPU columns: cores in use (of {setup['cores']}) by the app's gunicorn, by this bench and wrk "
          "(mostly the kernel's work of a TCP connect and close per request), and by everything else (database "
          "server, other people's work). Gunicorn's sync workers close the connection after every response, hence "
          "one TCP connect per request; errors include wrk's socket errors over the whole run. Closed loop without think time: mean latency = "
          "clients / throughput (Little's law), so latency here is mostly time spent queueing for a worker.\n")
    print(h.path_table(kiosk, "kiosk page", KIOSK_LOOP), "\n")
    print(h.targets_table(goals), "\n")
    print_weights(pages, dictionary)
    slowest = max(kiosk.per_path().items(), key=lambda item: item[1]["p99_ms"])
    heaviest = max(pages, key=lambda p: p.total)
    print(f"slowest kiosk page under load: {slowest[0]} (p99 {slowest[1]['p99_ms']:.1f} ms); "
          f"heaviest page: {heaviest.name} ({heaviest.total} B)\n")
    h.print_verdicts(goals)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = h.argument_parser(__doc__)
    h.add_common_arguments(parser, clients=50, one_worker_per_core=True)
    parser.add_argument("--rounds", type=int, default=5,
                        help="turns each app takes; --seconds is shared among them (default 5)")
    parser.add_argument("--languages", default=f"es,{CHINESE}",
                        help=f"the languages whose pages are weighed, comma-separated (default es,{CHINESE})")
    parser.add_argument("--weight-only", action="store_true",
                        help="weigh the pages and the Chinese dictionary only: no load, no wrk, no baseline app")
    args = parser.parse_args(argv)
    h.check_common_arguments(parser, args)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    args.languages = [code.strip() for code in args.languages.split(",") if code.strip()]
    if not args.languages or not all(re.fullmatch(r"[A-Za-z_]{2,10}", code) for code in args.languages):
        parser.error("--languages takes kiosk language codes such as es,zh_Hans")
    if not args.weight_only and shutil.which("wrk") is None:
        parser.error("the load needs wrk (apt-get install wrk); --weight-only weighs the pages without it")
    return args


def open_kiosk_browsers(port: int, device_token: str, clients: int) -> list[Browser]:
    """The kiosk load's browsers for wrk: each a Spanish kiosk session of its own, looping over KIOSK_LOOP."""
    # A session's expiry is written forward every REFRESH_EVERY; sessions opened in one burst
    # would all be written in the same tenth of a second, every REFRESH_EVERY, which kiosks used
    # by different people never do. So the openings are spread over that period.
    spacing = REFRESH_EVERY.total_seconds() / clients
    log(f"opening {clients} Spanish kiosk sessions, one every {spacing * 1000:.0f} ms")
    browsers = []
    for offset in range(clients):
        if offset:
            time.sleep(spacing)
        client = spanish_kiosk_client(port, device_token)
        client.close()
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        browsers.append(Browser(cookie, KIOSK_LOOP, offset))
    return browsers


def load_both(args: argparse.Namespace, kiosk_server: Server, hello_server: Server, device_token: str,
              tmpdir: Path) -> tuple[LoadResult, LoadResult, float]:
    """Kiosk and hello take turns, args.rounds times each: this machine's speed drifts by a third
    over tens of seconds, and a drift that fell on one app's only window skewed the ratio."""
    kiosk_browsers = open_kiosk_browsers(kiosk_server.port, device_token, args.clients)
    hello_browsers = [Browser("", HELLO_LOOP) for _ in range(args.clients)]
    busy_before = h.background_busy()
    kiosk_parts, hello_parts = [], []
    for turn in range(args.rounds):
        warmup = args.warmup if turn == 0 else min(args.warmup, ROUND_WARMUP)
        seconds = args.seconds / args.rounds
        kiosk_parts.append(h.wrk_load("kiosk", kiosk_server, kiosk_browsers, warmup, seconds, tmpdir))
        hello_parts.append(h.wrk_load("hello", hello_server, hello_browsers, warmup, seconds, tmpdir))
    return LoadResult.pooled(kiosk_parts), LoadResult.pooled(hello_parts), busy_before


def weigh_languages(port: int, device_token: str, languages: list[str]) -> tuple[
        list[PageWeight], set[str], Dictionary | None]:
    pages, skipped, dictionary = [], set(), None
    for language in languages:
        found, not_fetched, words = weigh_pages(port, device_token, language)
        pages += found
        skipped |= not_fetched
        if language == CHINESE:
            dictionary = weigh_dictionary(port, words)
    return pages, skipped, dictionary


def weight_goal(pages: list[PageWeight]) -> dict:
    heaviest = max(pages, key=lambda p: p.total)
    return {"target": f"every page < {PAGE_BUDGET // 1024} KB",
            "measured": f"heaviest {heaviest.total} B ({heaviest.language} {heaviest.name})",
            "pass": all(p.ok for p in pages)}


def weights_json(pages: list[PageWeight], dictionary: Dictionary | None) -> dict:
    return {"pages": [p.as_json() for p in pages], "page_budget_bytes": PAGE_BUDGET,
            "chinese_dictionary": dictionary.as_json() if dictionary else None}


def run(args: argparse.Namespace, tmpdir: Path, cleanups: list) -> int:
    kiosk_port = h.free_port()
    database_url = h.throw_away_database(args, tmpdir, cleanups)
    env = h.kiosk_environ(tmpdir, database_url, f"http://{HOST}:{kiosk_port}")
    demo = h.demo_data(env)

    if args.weight_only:
        return run_weight_only(args, env, kiosk_port, demo, tmpdir, cleanups)
    kiosk_server, hello_server = h.start_with_baseline(args, env, kiosk_port, "app", tmpdir, cleanups)
    device_token = enroll_device(kiosk_port, demo["kiosk_enrollment_url"])
    pages, skipped, dictionary = weigh_languages(kiosk_port, device_token, args.languages)
    kiosk, hello, busy_before = load_both(args, kiosk_server, hello_server, device_token, tmpdir)

    setup = h.setup_of(args, busy_before, rounds=args.rounds, catalogs_compiled=catalogs_compiled())
    goals = targets(setup["database"], kiosk, hello)
    goals.append(weight_goal(pages))
    print_report(setup, kiosk, hello, pages, dictionary, goals)
    if skipped:
        print(f"\nnot fetched (not on {HOST}): {', '.join(sorted(skipped))}")
    h.write_json(args.json, {"setup": setup, "load": h.load_json(kiosk, hello), **weights_json(pages, dictionary),
                             "targets": goals})
    return h.exit_code(args.strict, goals)


def run_weight_only(args: argparse.Namespace, env: dict[str, str], kiosk_port: int, demo: dict, tmpdir: Path,
                    cleanups: list) -> int:
    """The pages' weights and the dictionary's size, from the product under gunicorn as in production."""
    server = h.start_gunicorn("kiosk", "kiosk.wsgi:app", h.ROOT, kiosk_port, 1, env, tmpdir, cleanups)
    h.wait_until_serving(server, "/healthz")
    device_token = enroll_device(kiosk_port, demo["kiosk_enrollment_url"])
    pages, skipped, dictionary = weigh_languages(kiosk_port, device_token, args.languages)
    goals = [weight_goal(pages)]
    print(f"## Kiosk page weight ({', '.join(args.languages)})\n")
    if not catalogs_compiled():
        print("> Warning: translations are not compiled; the pages render in English.\n")
    print_weights(pages, dictionary)
    if skipped:
        print(f"not fetched (not on {HOST}): {', '.join(sorted(skipped))}\n")
    print(h.targets_table(goals), "\n")
    h.print_verdicts(goals)
    h.write_json(args.json, {"languages": args.languages, **weights_json(pages, dictionary), "targets": goals})
    return h.exit_code(args.strict, goals)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not catalogs_compiled():
        log("warning: translations are not compiled, pages will render in English (make bench compiles them)")
    return h.run_bench(lambda tmpdir, cleanups: run(args, tmpdir, cleanups), prefix="kiosk-bench-",
                       time_limit=int(90 + 2 * (args.rounds * args.warmup + args.seconds)))


if __name__ == "__main__":
    sys.exit(main())
