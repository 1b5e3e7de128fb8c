"""What the benches share: HTTP clients, gunicorn, throw-away databases, the CPU meter, latency summaries,
tables, main().

Imported by every bench in bench/, each run as `.venv/bin/python bench/<name>.py` (so bench/ is on sys.path);
the product comes from the virtualenv (installed editable).
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"

HOST = "127.0.0.1"
LOOPBACK_NAMES = {None, "", "127.0.0.1", "localhost", "::1"}
NOISE_CORES = 0.2  # 'CPU other' above this, where nothing else should run, means a busy machine


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
    """One browser: a keep-alive HTTP connection to 127.0.0.1 and a cookie jar.

    The jar is a name -> value dict: every cookie the benches meet has the one path their requests go to."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None, timeout: float = 15.0):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.cookies = dict(cookies or {})

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Response:
        return self.request("POST", path, form)

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> Response:
        headers, body = dict(headers or {}), None
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
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def venv_tool(name: str) -> str:
    path = VENV_BIN / name
    if not path.exists():
        raise BenchError(f"{path} is missing: run `make setup` first")
    return str(path)


def clean_environ() -> dict[str, str]:
    """The caller's environment minus any KIOSK_* setting that could change what is measured, and minus the
    caller's Twilio account: nothing but 127.0.0.1 is contacted."""
    return {key: value for key, value in os.environ.items() if not key.startswith(("KIOSK_", "TWILIO_"))}


def kiosk_environ(tmpdir: Path, database_url: str, public_url: str) -> dict[str, str]:
    env = clean_environ()
    env.update(
        KIOSK_ENV="production",
        KIOSK_SECRET_KEY=secrets.token_hex(32),
        KIOSK_INSTANCE_PATH=str(tmpdir),
        KIOSK_DATABASE_URL=database_url,
        KIOSK_COOKIE_SECURE="0",
        KIOSK_PUBLIC_URL=public_url,
    )
    return env


def demo_data(env: dict[str, str]) -> dict:
    """Migrates the throw-away database and loads the demo data; what `kioskctl demo --json` describes."""
    log("migrating and loading demo data")
    kioskctl(env, "db", "upgrade")
    return json.loads(kioskctl(env, "demo", "--json", "--force"))


def kioskctl(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [venv_tool("kioskctl"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
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
                   env: dict[str, str], tmpdir: Path, cleanups: list) -> Server:
    """Serves app_spec (module:app, imported from chdir) under gunicorn; stopped at cleanup."""
    log_path = tmpdir / f"gunicorn-{name}.log"
    command = [
        venv_tool("gunicorn"), "--workers", str(workers), "--threads", "1",
        "--bind", f"{HOST}:{port}", "--chdir", str(chdir), "--log-level", "warning", app_spec,
    ]
    with open(log_path, "wb") as log_file:
        # A session of its own: Ctrl-C reaches only the bench, which then stops the server itself.
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(name, port, process, log_path)
    cleanups.append(lambda: stop_server(server))
    return server


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


def start_with_baseline(args: argparse.Namespace, env: dict[str, str], port: int, baseline: str, tmpdir: Path,
                        cleanups: list) -> tuple[Server, Server]:
    """The product as in production (kiosk.wsgi:app) on port, and bench/hello_app.py's bare Flask app named
    baseline on a port of its own, under the same gunicorn settings."""
    hello_port = free_port()
    log(f"starting gunicorn x2 ({args.workers} workers each) on ports {port} and {hello_port}")
    product = start_gunicorn("kiosk", "kiosk.wsgi:app", ROOT, port, args.workers, env, tmpdir, cleanups)
    hello_env = {**clean_environ(), "PYTHONDONTWRITEBYTECODE": "1"}  # no __pycache__ in bench/
    hello = start_gunicorn("hello", f"hello_app:{baseline}", BENCH_DIR, hello_port, args.workers, hello_env, tmpdir,
                           cleanups)
    wait_until_serving(product, "/healthz")
    wait_until_serving(hello, "/")
    return product, hello


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


def throw_away_database(args: argparse.Namespace, tmpdir: Path, cleanups: list) -> str:
    """The product's database URL: a SQLite file in tmpdir, or a fresh PostgreSQL schema (dropped at cleanup)."""
    if not args.database_url:
        log("a throw-away SQLite database")
        return f"sqlite:///{tmpdir / 'bench.sqlite3'}"
    schema = PostgresSchema(args.database_url)
    cleanups.append(schema.drop)
    log(f"a throw-away PostgreSQL schema, {schema.name}")
    return schema.create()


def migrated_instance(args: argparse.Namespace, tmpdir: Path, cleanups: list, public_url: str):
    """A throw-away database migrated to this version, the product's environment for it, and an engine on it
    (disposed at cleanup): what a bench that loads its own data starts from."""
    from kiosk.core.db import make_engine

    database_url = throw_away_database(args, tmpdir, cleanups)
    env = kiosk_environ(tmpdir, database_url, public_url)
    log("migrating the database")
    kioskctl(env, "db", "upgrade", timeout=300)
    engine = make_engine(database_url)
    cleanups.append(engine.dispose)
    return database_url, env, engine


# --------------------------------------------------------------------------- CPU


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


@dataclass
class CpuSample:
    """The CPU meter: two samples give the cores in use between them (cpu_use)."""

    wall: float
    bench: float
    server: float
    machine_busy: float
    machine_total: float

    @classmethod
    def take(cls, server_pid: int | None = None, client_pid: int | None = None) -> "CpuSample":
        """server_pid: a server's process tree; client_pid: a load generator of its own (wrk), counted with
        this bench."""
        busy, total = machine_cpu()
        bench = time.process_time() + (cpu_seconds_of_tree(client_pid) if client_pid else 0.0)
        server = cpu_seconds_of_tree(server_pid) if server_pid else 0.0
        return cls(time.perf_counter(), bench, server, busy, total)


def cpu_use(before: CpuSample, after: CpuSample, seconds: float | None = None) -> dict[str, float]:
    """Cores in use between two samples: by the server, by this bench, and by everything else.
    seconds: the window the samples stand for (by default the time between them)."""
    seconds = seconds or after.wall - before.wall
    machine_total = after.machine_total - before.machine_total
    busy_pct = 100.0 * (after.machine_busy - before.machine_busy) / machine_total if machine_total else 0.0
    cpu = {
        "server_cores": (after.server - before.server) / seconds,
        "bench_cores": (after.bench - before.bench) / seconds,
        "machine_busy_pct": busy_pct,
    }
    # Everything else that ran: the kernel, the database server, other people's jobs.
    cpu["other_cores"] = max(0.0, busy_pct / 100 * (os.cpu_count() or 1) - cpu["server_cores"] - cpu["bench_cores"])
    return cpu


def background_busy(seconds: float = 1.0) -> float:
    """How busy the machine is (percent of all cores) with the bench idle: other people's work skews the figures."""
    before = CpuSample.take()
    time.sleep(seconds)
    return cpu_use(before, CpuSample.take())["machine_busy_pct"]


# --------------------------------------------------------------------------- load


def sleep_until(moment: float, clock: Callable[[], float] = time.perf_counter) -> None:
    while (left := moment - clock()) > 0:
        time.sleep(min(left, 0.5))


def cpu_in_window(window: tuple[float, float], server: Server, client_pid: int | None = None,
                  clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Waits until the window has passed (on clock); the cores in use during it."""
    sleep_until(window[0], clock)
    before = CpuSample.take(server.process.pid, client_pid)
    sleep_until(window[1], clock)
    return cpu_use(before, CpuSample.take(server.process.pid, client_pid), window[1] - window[0])


@dataclass
class Recorder:
    """Requests' times (seconds) and statuses by key (a page, a kind of text), and what went wrong."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # (key, reason) -> count
    connections: int = 0  # TCP connections opened

    def record(self, key: str, seconds: float, status: int, problem: str | None = None) -> None:
        self.latencies[key].append(seconds)
        self.statuses[status] += 1
        if problem:
            self.errors[(key, problem)] += 1


def http_problem(status: int) -> str | None:
    """What is wrong with a response of this status, for a bench that takes any success or redirect."""
    return None if 200 <= status < 400 else f"HTTP {status}"


def request_loop(key: str, send: Callable[[], Response], check: Callable[[Response], str | None],
                 window: tuple[float, float], stop: threading.Event) -> Recorder:
    """One client without think time: send() after send() until the window ends; records the requests
    begun inside it, under key, with what check() finds wrong with each answer."""
    recorder = Recorder()
    start_at, end_at = window
    while not stop.is_set() and (began := time.perf_counter()) < end_at:
        try:
            response = send()
        except (OSError, http.client.HTTPException) as error:
            if began >= start_at:
                recorder.errors[(key, type(error).__name__)] += 1
            time.sleep(0.01)  # a server that refuses must not make this loop spin
            continue
        elapsed = time.perf_counter() - began
        if began >= start_at:
            recorder.record(key, elapsed, response.status, check(response))
            recorder.connections += response.new_connection
    return recorder


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(seconds: list[float]) -> dict:
    """How many requests, and their p50, p99, mean and max in ms (NaN when there are none)."""
    ordered = sorted(seconds)
    ms = 1000.0
    return {
        "requests": len(ordered),
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
    def of(cls, name: str, clients: int, seconds: float, parts: list, cpu: dict[str, float]) -> "LoadResult":
        """The requests of several Recorders (or LoadResults) as one result."""
        latencies, statuses, errors = defaultdict(list), Counter(), Counter()
        for part in parts:
            for key, values in part.latencies.items():
                latencies[key].extend(values)
            statuses.update(part.statuses)
            errors.update(part.errors)
        return cls(name, clients, seconds, dict(latencies), statuses, errors,
                   sum(part.connections for part in parts), cpu)

    @classmethod
    def pooled(cls, parts: list["LoadResult"]) -> "LoadResult":
        """Several measuring windows of one load as one: requests pooled, CPU averaged over their time."""
        seconds = sum(part.seconds for part in parts)
        cpu = {key: sum(part.cpu[key] * part.seconds for part in parts) / seconds for key in parts[0].cpu}
        return cls.of(parts[0].name, parts[0].clients, seconds, parts, cpu)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        """gunicorn's CPU per request (on SQLite the database's work included: it runs in the workers)."""
        return 1000 * self.cpu["server_cores"] / self.throughput if self.requests else float("nan")

    def overall(self) -> dict:
        return latency_summary([v for values in self.latencies.values() for v in values])

    def per_path(self) -> dict[str, dict]:
        out = {}
        for path, values in self.latencies.items():
            errors = sum(n for (p, _), n in self.errors.items() if p == path)
            out[path] = {**latency_summary(values), "errors": errors}
        return out

    def as_json(self) -> dict:
        return {
            "clients": self.clients, "seconds": self.seconds, "throughput_rps": self.throughput,
            **self.overall(), "errors": self.error_count,
            "error_kinds": {f"{p} {why}": n for (p, why), n in self.errors.items()},
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "tcp_connections_opened": self.connections, "cpu": self.cpu,
            "gunicorn_cpu_ms_per_request": self.cpu_ms_per_request, "per_path": self.per_path(),
        }


def run_load(name: str, server: Server, loops: list[Callable[[tuple[float, float], threading.Event], Recorder]],
             warmup: float, seconds: float, who: str = "clients", join_timeout: float = 30) -> LoadResult:
    """Runs each loop(window, stop) in a thread of its own: a warm-up, then the measuring window. The result:
    the loops' Recorders, once they have finished (none starts a request after the window), with the
    window's CPU readings."""
    log(f"loading {name}: {len(loops)} {who}, {warmup:g} s warm-up + {seconds:g} s measured")
    begin = time.perf_counter()
    window = (begin + warmup, begin + warmup + seconds)
    stop = threading.Event()
    recorders: list[Recorder] = []
    threads = [threading.Thread(target=lambda loop=loop: recorders.append(loop(window, stop)), daemon=True)
               for loop in loops]
    for thread in threads:
        thread.start()
    try:
        cpu = cpu_in_window(window, server)
        deadline = time.perf_counter() + join_timeout  # the last requests of the window finish
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.perf_counter()))
    finally:
        stop.set()
    return LoadResult.of(name, len(loops), seconds, recorders, cpu)


# --------------------------------------------------------------------------- load with wrk

WRK_SCRIPT = BENCH_DIR / "wrk_browsers.lua"
WRK_SLACK = 2  # seconds wrk runs past the window, so that every request begun in it is answered


@dataclass
class Browser:
    """One wrk connection: its cookies and the pages it loops over, starting at paths[offset]."""

    cookie: str
    paths: list[str]
    offset: int = 0


def lua_string(text: str) -> str:
    if not (text.isascii() and text.isprintable()):
        raise BenchError(f"not a plain ASCII string for wrk: {text!r}")
    return json.dumps(text)  # for printable ASCII, a JSON string is a Lua string


def write_wrk_plan(path: Path, browsers: list[Browser], window: tuple[float, float]) -> None:
    rows = [f"  {{cookie = {lua_string(b.cookie)}, offset = {b.offset}, "
            f"paths = {{{', '.join(lua_string(p) for p in b.paths)}}}}}," for b in browsers]
    path.write_text(f"return {{\n window = {{{window[0]!r}, {window[1]!r}}},\n browsers = {{\n"
                    + "\n".join(rows) + "\n }\n}\n")


def wrk_load(name: str, server: Server, browsers: list[Browser], warmup: float, seconds: float,
             tmpdir: Path) -> LoadResult:
    """wrk drives one connection per browser: a warm-up, then the measuring window, whose requests
    (by the time they began) and CPU readings make the result. A Python client cost this 2-core
    machine 0.3-0.6 of a core and kept each sync worker waiting for its close; wrk, in C, does not."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is missing: install Debian's package (apt-get install wrk)")
    log(f"loading {name} with wrk: {len(browsers)} browsers, {warmup:g} s warm-up + {seconds:g} s measured")
    plan = tmpdir / f"wrk-plan-{name}.lua"
    begin = time.monotonic()
    window = (begin + warmup, begin + warmup + seconds)
    write_wrk_plan(plan, browsers, window)
    command = [wrk, "--threads", str(len(browsers)), "--connections", str(len(browsers)),
               "--duration", f"{math.ceil(warmup + seconds) + WRK_SLACK}s", "--timeout", "15s",
               "--script", str(WRK_SCRIPT), f"http://{HOST}:{server.port}/"]
    process = subprocess.Popen(command, env={**os.environ, "BENCH_PLAN": str(plan)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        cpu = cpu_in_window(window, server, process.pid, time.monotonic)  # wrk's Lua reads the same clock
        out, err = process.communicate(timeout=seconds + warmup + WRK_SLACK + 30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode != 0 or err.strip():
        raise BenchError(f"wrk failed ({process.returncode}): {err.strip()[-2000:]}")
    return parse_wrk_output(name, len(browsers), seconds, out, cpu)


def parse_wrk_output(name: str, clients: int, seconds: float, out: str, cpu: dict[str, float]) -> LoadResult:
    """The lines bench/wrk_browsers.lua's done() prints, after wrk's own summary."""
    recorder = Recorder()
    for line in out.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "request":
            path, status, took = rest.split()
            recorder.record(path, float(took), int(status), http_problem(int(status)))
        elif kind == "unfinished":
            recorder.errors[(rest, "unanswered when wrk stopped")] += 1
        elif kind == "closes":
            recorder.connections += int(rest)
        elif kind == "socket-errors":
            for what, count in zip(("connect", "read", "write", "timeout"), rest.split()):
                if int(count):
                    recorder.errors[("(socket)", f"{what} error")] += int(count)
    if not recorder.latencies:
        raise BenchError(f"wrk recorded no request for {name}:\n{out[-2000:]}")
    return LoadResult.of(name, clients, seconds, [recorder], cpu)


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
    return "-" if math.isnan(value) else f"{value:.1f}"  # NaN: nothing was measured


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


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


def load_json(product: LoadResult, baseline: LoadResult) -> dict:
    ratio = product.throughput / baseline.throughput if baseline.throughput else None
    return {product.name: product.as_json(), baseline.name: baseline.as_json(),
            f"{product.name}_to_{baseline.name}_throughput": ratio}


def load_targets(what: str, product: LoadResult, baseline: LoadResult, baseline_name: str,
                 p99_target_ms: float, throughput_target: float) -> list[dict]:
    """The product's p99, its throughput against the baseline's, and no errors."""
    p99 = product.overall()["p99_ms"]
    ratio = product.throughput / baseline.throughput if baseline.throughput else 0.0
    return [
        {"target": f"{what} p99 < {p99_target_ms:g} ms", "measured": f"{p99:.1f} ms", "pass": p99 < p99_target_ms},
        {"target": f"{what} throughput >= {throughput_target} x {baseline_name}",
         "measured": f"{ratio:.2f} x ({product.throughput:.0f} / {baseline.throughput:.0f} req/s)",
         "pass": ratio >= throughput_target},
        {"target": f"{what} load without errors", "measured": f"{product.error_count} errors",
         "pass": product.error_count == 0},
    ]


def path_table(result: LoadResult, heading: str, keys: list[str] | None = None) -> str:
    """Latency by page (or kind of request), in the order of keys (by default sorted)."""
    stats = result.per_path()
    rows = [[key, s["requests"], fmt_ms(s["p50_ms"]), fmt_ms(s["p99_ms"]), fmt_ms(s["mean_ms"]), s["errors"]]
            for key in keys or sorted(stats) if (s := stats.get(key))]
    return markdown_table([heading, "requests", "p50 ms", "p99 ms", "mean ms", "errors"], rows)


def targets_table(goals: list[dict]) -> str:
    return markdown_table(["target", "measured", "result"],
                          [[g["target"], g["measured"], verdict(g["pass"])] for g in goals], right=set())


def print_verdicts(goals: list[dict]) -> None:
    for goal in goals:
        print(f"{verdict(goal['pass'])}: {goal['target']} — {goal['measured']}")


def exit_code(strict: bool, goals: list[dict]) -> int:
    return 1 if strict and not all(goal["pass"] for goal in goals) else 0


def print_noise_warnings(setup: dict, results: list[LoadResult], baseline: LoadResult | None = None) -> None:
    """Signs that something besides the bench used the CPU (the baseline, and anything on SQLite, need no
    other process)."""
    if setup["background_busy_pct"] > 25:
        print(f"> Warning: the machine was {setup['background_busy_pct']:.0f}% busy before the load started.\n")
    noisy = dict.fromkeys(r.name for r in results if r.cpu["other_cores"] > NOISE_CORES
                          and (r is baseline or setup["database"] == "SQLite"))
    if noisy:
        print(f"> Warning: other processes used the CPU during the {', '.join(noisy)} load (column 'CPU other'): "
              "the figures are low, run again on a quiet machine.\n")


def setup_of(args: argparse.Namespace, background_busy_pct: float, **more) -> dict:
    """A load bench's settings, for its report and its JSON."""
    return {"database": "PostgreSQL" if args.database_url else "SQLite",
            "database_url": redacted(args.database_url or "sqlite"), "workers": args.workers,
            "clients": args.clients, "seconds": args.seconds, "warmup": args.warmup, "cores": args.cores,
            "python": sys.version.split()[0], "background_busy_pct": background_busy_pct, **more}


def write_json(path: Path | None, figures: dict) -> None:
    """--json: the figures, for whoever compares runs."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    log(f"figures written to {path}")


# --------------------------------------------------------------------------- main


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def argument_parser(doc: str) -> argparse.ArgumentParser:
    """A bench's options: --help shows its docstring's first paragraph; --json and --strict for every bench."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser


def add_common_arguments(parser: argparse.ArgumentParser, *, clients: int, who: str = "clients", per: str = "app",
                         seconds: float = 10.0, schemas: str = "a schema of its own is made and dropped",
                         one_worker_per_core: bool = False) -> None:
    """--clients, --seconds, --warmup, --workers, --database-url; `per`: what one load is on.
    Workers: one per core as deploy/gunicorn.conf.py has it, or gunicorn's usual 2 x cores + 1."""
    workers = cores() if one_worker_per_core else 2 * cores() + 1
    rule = "cores" if one_worker_per_core else "2 x cores + 1"
    parser.add_argument("--clients", type=int, default=clients, help=f"concurrent {who} (default {clients})")
    parser.add_argument("--seconds", type=float, default=seconds, help=f"measured seconds per {per} (default {seconds:g})")
    parser.add_argument("--warmup", type=float, default=2.0, help=f"warm-up seconds per {per} (default 2)")
    both = " for both apps" if per == "app" else ""
    parser.add_argument("--workers", type=int, default=workers,
                        help=f"gunicorn workers{both} (default {rule} = {workers})")
    parser.add_argument("--database-url", help="run on this PostgreSQL server (127.0.0.1 only) instead of SQLite, "
                        f"e.g. postgresql://postgres@127.0.0.1:5432/test; {schemas}")


def check_common_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    args.cores = cores()
    if args.clients < 1 or args.workers < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--clients and --workers must be at least 1, --seconds positive, --warmup not negative")
    if args.database_url:
        try:
            require_loopback(args.database_url)
        except BenchError as error:
            parser.error(str(error))


class Interrupted(BaseException):
    """SIGTERM or the time limit: unwind through every finally so the cleanup runs."""


def install_signal_handlers(time_limit: int) -> None:
    def raise_interrupted(signum, _frame):
        raise Interrupted("time limit reached" if signum == signal.SIGALRM else "terminated")

    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even when started with it ignored
    signal.signal(signal.SIGTERM, raise_interrupted)
    signal.signal(signal.SIGALRM, raise_interrupted)
    signal.alarm(time_limit)


def run_bench(run: Callable[[Path, list], int], *, prefix: str, time_limit: int) -> int:
    """Calls run(tmpdir, cleanups) and undoes what it registered in cleanups (in reverse order), whatever
    happens: the exit code is run's, 2 when the bench could not measure, 130 when interrupted."""
    install_signal_handlers(time_limit)
    tmpdir = Path(tempfile.mkdtemp(prefix=prefix))
    cleanups: list = []
    try:
        return run(tmpdir, cleanups)
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
