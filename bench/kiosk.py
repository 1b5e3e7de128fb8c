"""Benchmark: how fast the kiosk answers under load, and how much a page weighs.

What it measures
  1. Throughput and latency. The product runs under gunicorn (sync workers,
     --workers N --threads 1, N = 2 x cores + 1 by default) on a throw-away
     database. 50 client threads, each a browser of its own (one
     http.client.HTTPConnection, its own cookies, a kiosk session in Spanish),
     loop over the kiosk pages /kiosk/, /kiosk/home, /kiosk/track, /kiosk/file
     (a 302) and /kiosk/file/who. After a warm-up, every request of the
     measuring window is timed (request + whole body read). The same clients
     then load a bare Flask "hello" app (bench/hello_app.py) under identical
     gunicorn settings, as the baseline.
     Targets: kiosk p99 < 50 ms, and kiosk throughput >= 0.5 x hello's.
  2. Transfer size. One client walks the real flow (language, A-number, PIN,
     category, questions, words, review, send, receipt, track, case page) and,
     for every page, adds the HTML to every distinct stylesheet, script, SVG
     sprite and CSS url(...) it references: what a first visit with an empty
     cache downloads. The server does not compress, so sizes are uncompressed;
     gzip sizes are computed locally for information. Target: each page < 40 KB.

How to run
  .venv/bin/python bench/kiosk.py                 # SQLite, about 35 s
  make bench
  .venv/bin/python bench/kiosk.py --database-url postgresql://postgres@127.0.0.1:5432/test
  options: --clients 50 --seconds 10 --warmup 2 --workers 5 --json out.json --strict

Everything lives in a temporary directory (and, on PostgreSQL, a schema of its
own) that is removed at the end, also on Ctrl-C. Nothing but 127.0.0.1 is
contacted. The report is printed as Markdown tables (progress goes to stderr);
the exit code is 0 unless --strict is given and a target is missed.

Simplifications: a client's cookie jar is a name -> value dict (every kiosk
cookie has Path=/kiosk, and every request goes there); the load generator runs
on the same machine as the servers and competes with them for the CPU (its own
CPU use is reported next to theirs).
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urldefrag, urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
LOOPBACK_NAMES = {None, "", "127.0.0.1", "localhost", "::1"}

KIOSK_LOOP = ["/kiosk/", "/kiosk/home", "/kiosk/track", "/kiosk/file", "/kiosk/file/who"]
HELLO_LOOP = ["/"]
P99_TARGET_MS = 50.0
THROUGHPUT_TARGET = 0.5
PAGE_BUDGET = 40 * 1024
NOISE_CORES = 0.2  # 'CPU other' above this, where nothing else should run, means a busy machine

DEMO_A_NUMBER = "201234567"
DEMO_PIN = "2468"


def log(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """The bench could not measure what it set out to measure."""


# --------------------------------------------------------------------------- HTTP


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    new_connection: bool

    @property
    def location(self) -> str:
        """The redirect target as path?query (Flask sends relative Locations; a host is dropped)."""
        parts = urlsplit(self.headers.get("Location", ""))
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Client:
    """One browser: a keep-alive HTTP connection to 127.0.0.1 and a cookie jar."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None, timeout: float = 15.0):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.cookies = dict(cookies or {})

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Response:
        return self.request("POST", path, form)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        headers, body = {}, None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        new_connection = self.conn.sock is None  # http.client reconnects by itself after a close
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        self._remember(response.headers.get_all("Set-Cookie") or [])
        return Response(response.status, response.headers, data, new_connection)

    def _remember(self, set_cookie_headers: list[str]) -> None:
        for header in set_cookie_headers:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            if not value or "max-age=0" in attributes.replace(" ", "").lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def close(self) -> None:
        self.conn.close()


def expect_redirect(response: Response, target: str, what: str) -> None:
    if response.status not in (301, 302, 303) or response.location != target:
        raise BenchError(f"{what}: expected a redirect to {target}, got {response.status} {response.location!r}")


def expect_ok(response: Response, what: str) -> None:
    if response.status != 200:
        raise BenchError(f"{what}: expected 200, got {response.status}: {response.text[:300]!r}")


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def venv_tool(name: str) -> str:
    path = VENV_BIN / name
    if not path.exists():
        raise BenchError(f"{path} is missing: run `make setup` first")
    return str(path)


def clean_environ() -> dict[str, str]:
    """The caller's environment minus any KIOSK_* setting that could change what is measured."""
    return {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}


def kiosk_environ(tmpdir: Path, port: int, database_url: str) -> dict[str, str]:
    env = clean_environ()
    env.update(
        KIOSK_ENV="production",
        KIOSK_SECRET_KEY=secrets.token_hex(32),
        KIOSK_INSTANCE_PATH=str(tmpdir),
        KIOSK_DATABASE_URL=database_url,
        KIOSK_COOKIE_SECURE="0",
        KIOSK_PUBLIC_URL=f"http://{HOST}:{port}",
    )
    return env


def kioskctl(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [venv_tool("kioskctl"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise BenchError(f"kioskctl {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""


def start_gunicorn(name: str, app_spec: str, chdir: Path, port: int, workers: int,
                   env: dict[str, str], tmpdir: Path) -> Server:
    log_path = tmpdir / f"gunicorn-{name}.log"
    command = [
        venv_tool("gunicorn"), "--workers", str(workers), "--threads", "1",
        "--bind", f"{HOST}:{port}", "--chdir", str(chdir), "--log-level", "warning", app_spec,
    ]
    with open(log_path, "wb") as log_file:
        # A session of its own: Ctrl-C reaches only the bench, which then stops the server itself.
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return Server(name, port, process, log_path)


def wait_until_serving(server: Server, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} server exited ({server.process.returncode}):\n{server.log_tail()}")
        try:
            client = Client(server.port, timeout=2)
            status = client.get(path).status
            client.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(f"{server.name} server did not answer 200 on {path} within {timeout:.0f} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()  # gunicorn: graceful shutdown of master and workers
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=5)


# --------------------------------------------------------------------------- database


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK_NAMES:
        raise BenchError(f"--database-url must point at 127.0.0.1, not {host!r}")


def with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


def libpq_url(url: str) -> str:
    """What psycopg accepts: SQLAlchemy's driver suffix removed."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+')[0]}://{rest}"


class PostgresSchema:
    """A fresh schema for one run, dropped at the end."""

    def __init__(self, url: str):
        require_loopback(url)
        self.url = url
        self.name = f"kiosk_bench_{secrets.token_hex(5)}"
        self.created = False

    def create(self) -> str:
        self._execute(f'CREATE SCHEMA "{self.name}"')
        self.created = True
        return with_search_path(self.url, self.name)

    def drop(self) -> None:
        if self.created:
            self._execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
            self.created = False

    def _execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(libpq_url(self.url), autocommit=True, connect_timeout=10) as connection:
            connection.execute(statement)


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
    return (ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.mo").exists()


# --------------------------------------------------------------------------- load


@dataclass
class Recorder:
    """One client's measurements inside the window."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # (path, reason) -> count
    connections: int = 0

    def record(self, path: str, seconds: float, response: Response) -> None:
        self.latencies[path].append(seconds)
        self.statuses[response.status] += 1
        self.connections += response.new_connection
        if not 200 <= response.status < 400:
            self.errors[(path, f"HTTP {response.status}")] += 1

    def fail(self, path: str, error: Exception) -> None:
        self.errors[(path, type(error).__name__)] += 1


def client_loop(client: Client, paths: list[str], offset: int, window: tuple[float, float],
                stop: threading.Event, recorders: list[Recorder]) -> None:
    recorder = Recorder()
    start_at, end_at = window
    step = offset
    while not stop.is_set():
        began = time.perf_counter()
        if began >= end_at:
            break
        path = paths[step % len(paths)]
        step += 1
        try:
            response = client.get(path)
        except (OSError, http.client.HTTPException) as error:
            if began >= start_at:
                recorder.fail(path, error)
            time.sleep(0.01)
            continue
        if began >= start_at:
            recorder.record(path, time.perf_counter() - began, response)
    recorders.append(recorder)


def cpu_seconds_of_tree(root_pid: int) -> float:
    """User + system CPU of a process and its children (gunicorn's master and workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        pid, ppid = int(entry), int(fields[1])
        if pid == root_pid or ppid == root_pid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def background_busy(seconds: float = 1.0) -> float:
    """How busy the machine is (percent of all cores) with the bench idle: other people's work skews the figures."""
    busy_before, total_before = machine_cpu()
    time.sleep(seconds)
    busy_after, total_after = machine_cpu()
    return 100.0 * (busy_after - busy_before) / max(1, total_after - total_before)


@dataclass
class CpuSample:
    bench: float
    server: float
    machine_busy: float
    machine_total: float

    @classmethod
    def take(cls, server_pid: int) -> "CpuSample":
        busy, total = machine_cpu()
        return cls(time.process_time(), cpu_seconds_of_tree(server_pid), busy, total)


def sleep_until(moment: float) -> None:
    while (left := moment - time.perf_counter()) > 0:
        time.sleep(min(left, 0.5))


def run_load(name: str, server: Server, clients: list[Client], paths: list[str],
             warmup: float, seconds: float) -> "LoadResult":
    log(f"loading {name}: {len(clients)} clients, {warmup:g} s warm-up + {seconds:g} s measured")
    begin = time.perf_counter()
    window = (begin + warmup, begin + warmup + seconds)
    stop, recorders = threading.Event(), []
    threads = [
        threading.Thread(target=client_loop, args=(c, paths, i, window, stop, recorders), daemon=True)
        for i, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    try:
        sleep_until(window[0])
        before = CpuSample.take(server.process.pid)
        sleep_until(window[1])
        after = CpuSample.take(server.process.pid)
        deadline = time.perf_counter() + 30  # the last requests of the window finish; none is started after it
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.perf_counter()))
    finally:
        stop.set()
    return LoadResult.combine(name, len(clients), seconds, recorders, before, after, machine_cores())


def machine_cores() -> int:
    return os.cpu_count() or 1


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(values: list[float]) -> dict:
    ordered = sorted(values)
    ms = 1000.0
    return {
        "p50_ms": percentile(ordered, 50) * ms,
        "p99_ms": percentile(ordered, 99) * ms,
        "mean_ms": (sum(ordered) / len(ordered) * ms) if ordered else float("nan"),
        "max_ms": (ordered[-1] * ms) if ordered else float("nan"),
    }


@dataclass
class LoadResult:
    name: str
    clients: int
    seconds: float
    latencies: dict[str, list[float]]
    statuses: Counter
    errors: Counter
    connections: int
    cpu: dict[str, float]

    @classmethod
    def combine(cls, name, clients, seconds, recorders: list[Recorder], before: CpuSample, after: CpuSample,
                cores: int):
        latencies, statuses, errors, connections = defaultdict(list), Counter(), Counter(), 0
        for recorder in recorders:
            for path, values in recorder.latencies.items():
                latencies[path].extend(values)
            statuses.update(recorder.statuses)
            errors.update(recorder.errors)
            connections += recorder.connections
        machine_total = after.machine_total - before.machine_total
        busy_pct = 100.0 * (after.machine_busy - before.machine_busy) / machine_total if machine_total else 0.0
        cpu = {
            "server_cores": (after.server - before.server) / seconds,
            "bench_cores": (after.bench - before.bench) / seconds,
            "machine_busy_pct": busy_pct,
        }
        # Everything else that ran: the kernel, the database server, other people's jobs.
        cpu["other_cores"] = max(0.0, busy_pct / 100 * cores - cpu["server_cores"] - cpu["bench_cores"])
        return cls(name, clients, seconds, dict(latencies), statuses, errors, connections, cpu)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def overall(self) -> dict:
        return latency_summary([v for values in self.latencies.values() for v in values])

    def per_path(self) -> dict[str, dict]:
        out = {}
        for path, values in self.latencies.items():
            errors = sum(n for (p, _), n in self.errors.items() if p == path)
            out[path] = {"requests": len(values), "errors": errors, **latency_summary(values)}
        return out

    def as_json(self) -> dict:
        return {
            "clients": self.clients, "seconds": self.seconds, "requests": self.requests,
            "throughput_rps": self.throughput, **self.overall(), "errors": self.error_count,
            "error_kinds": {f"{p} {why}": n for (p, why), n in self.errors.items()},
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "tcp_connections_opened": self.connections, "cpu": self.cpu, "per_path": self.per_path(),
        }


# --------------------------------------------------------------------------- page weight


class PageParser(HTMLParser):
    """What a browser would fetch for a page, plus the form values the walk needs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.assets: list[str] = []
        self.inputs: dict[str, str] = {}
        self.case_number = ""
        self._in_case_number = False

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

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "p":
            self._in_case_number = False

    def handle_data(self, data):
        if self._in_case_number:
            self.case_number += data.strip()


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
        return {"page": self.name, "path": self.path, "html_bytes": self.html, "assets_bytes": self.assets_total,
                "total_bytes": self.total, "html_gzip_bytes": self.html_gzip, "total_gzip_bytes": self.total_gzip,
                "assets": self.assets, "under_budget": self.ok}


class FlowWalker:
    """A detainee going through the kiosk, weighing every page on the way."""

    def __init__(self, client: Client, store: AssetStore):
        self.client = client
        self.store = store
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
            name, path, len(response.body), gzipped_size(response.body),
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


def weigh_pages(port: int, device_token: str) -> tuple[list[PageWeight], set[str]]:
    log("walking the kiosk flow and weighing every page")
    store = AssetStore(port)
    walker = FlowWalker(Client(port, {"kiosk_device": device_token}), store)
    walker.visit("language list", "/kiosk/")
    walker.follow("/kiosk/language/es", "/kiosk/home")
    walker.visit("home", "/kiosk/home")
    walker.follow("/kiosk/file", "/kiosk/file/who")
    walker.visit("who (A-number keypad)", "/kiosk/file/who")
    walker.submit("/kiosk/file/who", {"a_number": DEMO_A_NUMBER}, "/kiosk/file/pin")
    walker.visit("pin", "/kiosk/file/pin")
    walker.submit("/kiosk/file/pin", {"pin": DEMO_PIN}, "/kiosk/file/pin-again")
    walker.submit("/kiosk/file/pin-again", {"pin": DEMO_PIN}, "/kiosk/file/category")
    walker.visit("category", "/kiosk/file/category")
    walker.submit("/kiosk/file/category", {"choice": "medical"}, "/kiosk/file/question/urgent")
    walker.visit("question (urgent)", "/kiosk/file/question/urgent")
    walker.submit("/kiosk/file/question/urgent", {"choice": "yes"}, "/kiosk/file/emergency?after=urgent")
    walker.visit("emergency", "/kiosk/file/emergency?after=urgent")
    walker.submit("/kiosk/file/question/since", {"choice": "today"}, "/kiosk/file/question/raised_with_facility")
    walker.submit("/kiosk/file/question/raised_with_facility", {"choice": "told_staff"}, "/kiosk/file/words")
    walker.visit("words (on-screen keyboard)", "/kiosk/file/words")
    walker.submit("/kiosk/file/words", {"description": "Me duele el pecho desde anoche."}, "/kiosk/file/review")
    review = walker.visit("review", "/kiosk/file/review")
    walker.submit("/kiosk/file/review", {"submission": review.inputs.get("submission", "")}, "/kiosk/receipt")
    receipt = walker.visit("receipt", "/kiosk/receipt")
    if not re.fullmatch(r"\d{2}-\d{4}-\d{4}", receipt.case_number):
        raise BenchError(f"no case number on the receipt (found {receipt.case_number!r})")
    walker.visit("track", "/kiosk/track")
    walker.visit("case status", f"/kiosk/case/{quote(receipt.case_number)}")
    walker.client.close()
    store.client.close()
    return walker.pages, store.skipped


# --------------------------------------------------------------------------- report


def markdown_table(headers: list[str], rows: list[list], right: set[int] | None = None) -> str:
    right = right if right is not None else set(range(1, len(headers)))
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def fmt_ms(value: float) -> str:
    return f"{value:.1f}"


def load_table(results: list[LoadResult]) -> str:
    rows = []
    for r in results:
        o = r.overall()
        rows.append([r.name, r.requests, f"{r.throughput:.0f}", fmt_ms(o["p50_ms"]), fmt_ms(o["p99_ms"]),
                     fmt_ms(o["mean_ms"]), fmt_ms(o["max_ms"]), r.error_count, r.connections,
                     f"{r.cpu['server_cores']:.2f}", f"{r.cpu['bench_cores']:.2f}", f"{r.cpu['other_cores']:.2f}"])
    return markdown_table(
        ["app", "requests", "req/s", "p50 ms", "p99 ms", "mean ms", "max ms", "errors", "TCP connects",
         "CPU gunicorn", "CPU bench", "CPU other"], rows)


def path_table(result: LoadResult) -> str:
    stats = result.per_path()
    rows = [[path, stats[path]["requests"], fmt_ms(stats[path]["p50_ms"]), fmt_ms(stats[path]["p99_ms"]),
             fmt_ms(stats[path]["mean_ms"]), stats[path]["errors"]]
            for path in KIOSK_LOOP if path in stats]
    return markdown_table(["kiosk page", "requests", "p50 ms", "p99 ms", "mean ms", "errors"], rows)


def targets(kiosk: LoadResult, hello: LoadResult) -> list[dict]:
    p99 = kiosk.overall()["p99_ms"]
    ratio = kiosk.throughput / hello.throughput if hello.throughput else 0.0
    return [
        {"target": f"kiosk p99 < {P99_TARGET_MS:g} ms", "measured": f"{p99:.1f} ms", "pass": p99 < P99_TARGET_MS},
        {"target": f"kiosk throughput >= {THROUGHPUT_TARGET} x hello",
         "measured": f"{ratio:.2f} x ({kiosk.throughput:.0f} / {hello.throughput:.0f} req/s)",
         "pass": ratio >= THROUGHPUT_TARGET},
        {"target": "kiosk load without errors", "measured": f"{kiosk.error_count} errors",
         "pass": kiosk.error_count == 0},
    ]


def weight_table(pages: list[PageWeight]) -> str:
    rows = [[p.name, p.path, p.html, p.assets_total, p.total, f"{p.total / 1024:.1f}", p.total_gzip,
             "PASS" if p.ok else "FAIL"] for p in pages]
    return markdown_table(["page", "path", "HTML B", "assets B", "total B", "total KB", "gzip total B",
                           f"< {PAGE_BUDGET // 1024} KB"], rows, right={2, 3, 4, 5, 6})


def asset_table(pages: list[PageWeight]) -> str:
    sizes: dict[str, int] = {}
    for page in pages:
        sizes.update(page.assets)
    rows = [[path, size, sum(path in p.assets for p in pages)] for path, size in sorted(sizes.items())]
    return markdown_table(["asset", "bytes", "pages using it"], rows)


def noise_warnings(setup: dict, kiosk: LoadResult, hello: LoadResult) -> list[str]:
    """Signs that something besides the bench used the CPU (hello and SQLite need no other process)."""
    warnings = []
    if setup["background_busy_pct"] > 25:
        warnings.append(f"the machine was {setup['background_busy_pct']:.0f}% busy before the load started.")
    noisy = [r.name for r in (kiosk, hello) if r.cpu["other_cores"] > NOISE_CORES
             and (r is hello or setup["database"] == "SQLite")]
    if noisy:
        warnings.append(f"other processes used the CPU during the {' and '.join(noisy)} load "
                        "(column 'CPU other'): the figures are low, run again on a quiet machine.")
    return warnings


def print_report(setup: dict, kiosk: LoadResult, hello: LoadResult, pages: list[PageWeight],
                 goals: list[dict]) -> None:
    print(f"## Kiosk benchmark ({setup['database']}, {setup['workers']} gunicorn sync workers, "
          f"{setup['clients']} clients, {setup['seconds']:g} s after {setup['warmup']:g} s warm-up, "
          f"{setup['cores']} cores)\n")
    if not setup["catalogs_compiled"]:
        print("> Warning: translations are not compiled (no translations/es/LC_MESSAGES/messages.mo);\n"
              "> the 'Spanish' pages render in English. `make bench` compiles them first.\n")
    for warning in noise_warnings(setup, kiosk, hello):
        print(f"> Warning: {warning}\n")
    print(load_table([kiosk, hello]), "\n")
    print(f"CPU columns: cores in use (of {setup['cores']}) by the app's gunicorn, by this bench, and by everything "
          "else (kernel, database server, other people's work). Gunicorn's sync workers close the connection after "
          "every response, hence one TCP connect per request. Closed loop without think time: mean latency = "
          "clients / throughput (Little's law), so latency here is mostly time spent queueing for a worker.\n")
    print(path_table(kiosk), "\n")
    print(markdown_table(["target", "measured", "result"],
                         [[g["target"], g["measured"], "PASS" if g["pass"] else "FAIL"] for g in goals],
                         right=set()), "\n")
    print("### Page weight (first visit, empty cache, uncompressed as served)\n")
    print(weight_table(pages), "\n")
    print(asset_table(pages), "\n")
    slowest = max(kiosk.per_path().items(), key=lambda item: item[1]["p99_ms"])
    heaviest = max(pages, key=lambda p: p.total)
    print(f"slowest kiosk page under load: {slowest[0]} (p99 {slowest[1]['p99_ms']:.1f} ms); "
          f"heaviest page: {heaviest.name} ({heaviest.total} B)\n")
    for goal in goals:
        print(f"{'PASS' if goal['pass'] else 'FAIL'}: {goal['target']} — {goal['measured']}")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per app (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per app (default 2)")
    parser.add_argument("--workers", type=int, default=2 * cores + 1,
                        help=f"gunicorn workers for both apps (default 2 x cores + 1 = {2 * cores + 1})")
    parser.add_argument("--database-url", help="run on this PostgreSQL server (127.0.0.1 only) instead of SQLite, "
                        "e.g. postgresql://postgres@127.0.0.1:5432/test; a schema of its own is made and dropped")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    args.cores = cores
    if args.clients < 1 or args.workers < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--clients and --workers must be at least 1, --seconds positive, --warmup not negative")
    if args.database_url:
        try:
            require_loopback(args.database_url)
        except BenchError as error:
            parser.error(str(error))
    return args


class Interrupted(BaseException):
    """SIGTERM or the time limit: unwind through every finally so the cleanup runs."""


def install_signal_handlers(time_limit: int) -> None:
    def raise_interrupted(signum, _frame):
        raise Interrupted("time limit reached" if signum == signal.SIGALRM else "terminated")

    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even when started with it ignored
    signal.signal(signal.SIGTERM, raise_interrupted)
    signal.signal(signal.SIGALRM, raise_interrupted)
    signal.alarm(time_limit)


def throw_away_database(args: argparse.Namespace, tmpdir: Path, cleanups: list) -> tuple[str, str]:
    """(URL for the product, description): a SQLite file in tmpdir, or a fresh PostgreSQL schema."""
    if not args.database_url:
        return f"sqlite:///{tmpdir / 'bench.sqlite3'}", "SQLite"
    schema = PostgresSchema(args.database_url)
    cleanups.append(schema.drop)
    return schema.create(), f"PostgreSQL schema {schema.name}"


def start_servers(args: argparse.Namespace, env: dict[str, str], kiosk_port: int, tmpdir: Path,
                  cleanups: list) -> tuple[Server, Server]:
    log(f"starting gunicorn x2 ({args.workers} workers each) on ports {kiosk_port} and {args.hello_port}")
    kiosk_server = start_gunicorn("kiosk", "kiosk:create_app()", ROOT, kiosk_port, args.workers, env, tmpdir)
    cleanups.append(lambda: stop_server(kiosk_server))
    hello_env = {**clean_environ(), "PYTHONDONTWRITEBYTECODE": "1"}
    hello_server = start_gunicorn("hello", "hello_app:app", BENCH_DIR, args.hello_port, args.workers, hello_env, tmpdir)
    cleanups.append(lambda: stop_server(hello_server))
    wait_until_serving(kiosk_server, "/healthz")
    wait_until_serving(hello_server, "/")
    return kiosk_server, hello_server


def load_both(args: argparse.Namespace, kiosk_server: Server, hello_server: Server,
              device_token: str) -> tuple[LoadResult, LoadResult, float]:
    log(f"opening {args.clients} Spanish kiosk sessions")
    kiosk_clients = [spanish_kiosk_client(kiosk_server.port, device_token) for _ in range(args.clients)]
    busy_before = background_busy()
    kiosk = run_load("kiosk", kiosk_server, kiosk_clients, KIOSK_LOOP, args.warmup, args.seconds)
    hello_clients = [Client(hello_server.port) for _ in range(args.clients)]
    hello = run_load("hello", hello_server, hello_clients, HELLO_LOOP, args.warmup, args.seconds)
    for client in kiosk_clients + hello_clients:
        client.close()
    return kiosk, hello, busy_before


def run(args: argparse.Namespace, tmpdir: Path, cleanups: list) -> int:
    kiosk_port, args.hello_port = free_port(), free_port()
    database_url, database = throw_away_database(args, tmpdir, cleanups)
    env = kiosk_environ(tmpdir, kiosk_port, database_url)
    log(f"migrating and loading demo data ({database})")
    kioskctl(env, "db", "upgrade")
    demo = json.loads(kioskctl(env, "demo", "--json", "--force"))

    kiosk_server, hello_server = start_servers(args, env, kiosk_port, tmpdir, cleanups)
    device_token = enroll_device(kiosk_port, demo["kiosk_enrollment_url"])
    pages, skipped = weigh_pages(kiosk_port, device_token)
    kiosk, hello, busy_before = load_both(args, kiosk_server, hello_server, device_token)

    goals = targets(kiosk, hello)
    goals.append({"target": f"every page < {PAGE_BUDGET // 1024} KB",
                  "measured": f"heaviest {max(p.total for p in pages)} B", "pass": all(p.ok for p in pages)})
    setup = {"database": "PostgreSQL" if args.database_url else "SQLite",
             "database_url": redacted(args.database_url or "sqlite"), "workers": args.workers,
             "clients": args.clients, "seconds": args.seconds, "warmup": args.warmup, "cores": args.cores,
             "catalogs_compiled": catalogs_compiled(), "python": sys.version.split()[0],
             "background_busy_pct": busy_before}
    print_report(setup, kiosk, hello, pages, goals)
    if skipped:
        print(f"\nnot fetched (not on {HOST}): {', '.join(sorted(skipped))}")
    if args.json:
        write_json(args.json, setup, kiosk, hello, pages, goals)
    return 1 if args.strict and not all(g["pass"] for g in goals) else 0


def write_json(path: Path, setup: dict, kiosk: LoadResult, hello: LoadResult, pages: list[PageWeight],
               goals: list[dict]) -> None:
    figures = {
        "setup": setup,
        "load": {"kiosk": kiosk.as_json(), "hello": hello.as_json(),
                 "kiosk_to_hello_throughput": kiosk.throughput / hello.throughput if hello.throughput else None},
        "pages": [p.as_json() for p in pages],
        "page_budget_bytes": PAGE_BUDGET,
        "targets": goals,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    log(f"figures written to {path}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not catalogs_compiled():
        log("warning: translations are not compiled, pages will render in English (make bench compiles them)")
    install_signal_handlers(time_limit=int(90 + 2 * (args.warmup + args.seconds)))
    tmpdir = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    cleanups: list = []  # run() registers what to undo; undone in reverse order, whatever happens
    try:
        return run(args, tmpdir, cleanups)
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Interrupted) as error:
        print(f"bench interrupted: {str(error) or 'Ctrl-C'}", file=sys.stderr)
        return 130
    finally:
        signal.alarm(0)
        for signum in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the cleanup short
            signal.signal(signum, signal.SIG_IGN)
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as error:  # keep cleaning up whatever else there is
                print(f"cleanup: {error}", file=sys.stderr)
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
