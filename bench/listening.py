"""Benchmark: from tapping Listen to the first sound, the audio cache's size, and building it.

What it measures
  1. Time from tapping Listen to the first sound. The product runs under gunicorn as
     bench/kiosk_pages.py runs it (sync workers, --threads 1, one worker per core) on a throw-away
     database with the demo data, serving the clips the worktree's build made
     (kiosk/static/generated/audio). Debian's Chromium, through Playwright, with a touch screen and
     the kiosk browser's --autoplay-policy=no-user-gesture-required, is enrolled as the demo kiosk.
     In each of the 14 kiosk languages a person files a complaint with the demo A-number and then
     opens "See my complaints"; on each screen on the way (language picker, home, who, category,
     the "urgent now" question, PIN, words, review, receipt, track) the bench taps the header's
     Listen once to warm the browser's cache (audio.js, the language's playlist, the first clip),
     then --repeats times (3) loads the screen afresh and taps Listen. Measured inside the page:
     performance.now() when the tap's pointerdown reaches the window (capture phase), and when a
     MutationObserver sees body[data-speaking] appear (audio.js sets it on its Audio element's first
     `playing` event). After each, the baseline in the same page: a tap on a button the bench adds,
     whose click handler does a bare `new Audio(url).play()` of the clip Listen played first
     (already cached), timed the same way. Target: Listen's p99 < 300 ms, and every screen says
     something in every language (a screen whose Listen plays nothing is listed).
  2. The audio cache's size: per language, the clips its index (<lang>.json) names, their bytes,
     and any other clip file left in its folder; and the total.
  3. Building the cache on a fresh machine: `python -m kiosk.audio --into <empty temp dir>` (all 14
     languages, espeak-ng and the Opus encoder, one process per core), then the same again with
     nothing left to make. Wall time and the CPU time of the build's processes.

How to run (needs chromium: apt-get install chromium; never downloads a browser)
  .venv/bin/python bench/listening.py                  # SQLite, about 10 minutes on 2 cores
  .venv/bin/python bench/listening.py --database-url postgresql://postgres@127.0.0.1:5432/test
  options: --repeats 3 --languages es fr --no-build --workers 2 --json out.json --strict

Everything lives in a temporary directory (and, on PostgreSQL, a schema of its own) that is removed
at the end, also on Ctrl-C. Nothing but 127.0.0.1 is contacted.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import _harness as h
from _harness import HOST, BenchError, log, markdown_table
from emergency_alerts import CHROMIUM, CHROMIUM_ARGS
from kiosk_pages import DEMO_A_NUMBER, DEMO_PIN

from kiosk.audio import phrases
from kiosk.config import Config

P99_TARGET_MS = 300.0
SOUND_WITHIN_S = 5.0  # no sound by then: the screen is counted as silent
# As the kiosk's own browser is set up (deploy/kiosk-browser.md): sound without a gesture first.
BROWSER_ARGS = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]
SCREENS = ["language picker", "home", "who", "category", "question (urgent)", "PIN", "words", "may name", "review",
           "receipt", "track"]

# Notes, inside the page, when the tap on Listen lands and when the first sound plays. Put in after
# each load, before the tap (DevTools runs it as a function: the page's CSP forbids string-eval).
WATCH_LISTEN = """() => {
  window.benchListen = {tap: null, sound: null};
  const mark = (event) => {
    if (window.benchListen.tap === null && event.target.closest && event.target.closest("[data-listen]"))
      window.benchListen.tap = performance.now();
  };
  window.addEventListener("pointerdown", mark, true);
  window.addEventListener("click", mark, true);
  new MutationObserver(() => {
    if (window.benchListen.sound === null && document.body.dataset.speaking === "1")
      window.benchListen.sound = performance.now();
  }).observe(document.body, {attributes: true, attributeFilter: ["data-speaking"]});
}"""

LISTEN_RESULT = """() => ({tap: window.benchListen.tap, sound: window.benchListen.sound,
  played: window.kioskAudio ? window.kioskAudio.played.slice() : null})"""

# The baseline: a button whose click plays one clip with a bare Audio element, timed the same way.
WATCH_BASELINE = """(url) => {
  if (window.kioskAudio) window.kioskAudio.stop();
  window.benchBase = {url: url, tap: null, sound: null, error: null, audio: null};
  if (document.getElementById("bench-baseline")) return;
  const button = document.createElement("button");
  button.id = "bench-baseline";
  button.type = "button";
  button.textContent = "baseline";
  Object.assign(button.style, {position: "fixed", left: "0", bottom: "0", width: "240px", height: "120px",
                               zIndex: "100000"});
  document.body.appendChild(button);
  window.addEventListener("pointerdown", (event) => {
    if (window.benchBase.tap === null && event.target === button) window.benchBase.tap = performance.now();
  }, true);
  button.addEventListener("click", () => {
    if (window.benchBase.tap === null) window.benchBase.tap = performance.now();
    const audio = new Audio(window.benchBase.url);
    window.benchBase.audio = audio;
    audio.addEventListener("playing", () => {
      if (window.benchBase.sound === null) window.benchBase.sound = performance.now();
    });
    audio.play().catch((error) => { window.benchBase.error = String(error); });
  });
}"""

BASELINE_RESULT = """() => {
  if (window.benchBase.audio) window.benchBase.audio.pause();
  return {tap: window.benchBase.tap, sound: window.benchBase.sound, error: window.benchBase.error};
}"""

# What Listen would say for single blocks whose right reading is known without audio.js's help: a
# block that is word for word one catalog phrase must be that phrase's clip alone, and a number
# (digits with spaces or hyphens: a case number, an A-number) one clip per digit. Returns the blocks
# read otherwise, with what is heard instead (each clip's words, "#" for a digit).
MISREAD = r"""async () => {
  const data = await fetch(document.body.getAttribute("data-playlist"), {credentials: "same-origin"})
    .then((response) => response.json());
  const norm = (text) => text.replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "").replace(/\s+/g, " ").trim();
  const words = new Map(), whole = new Map();
  for (const parts of data.messages) {
    for (const part of parts) if (part.t !== undefined && data.clips[part.k]) words.set(data.clips[part.k], norm(part.t));
    if (parts.length === 1 && parts[0].t !== undefined && data.clips[parts[0].k]) whole.set(norm(parts[0].t), data.clips[parts[0].k]);
  }
  for (const digit of "0123456789") if (data.clips["digit." + digit]) words.set(data.clips["digit." + digit], "#");
  const misread = [], seen = new Set();
  const blocks = "h1, h2, h3, p, li, label, legend, button, a, th, td, dt, dd, summary, bdi";
  for (const el of document.querySelectorAll("main :is(" + blocks + ")")) {
    if (el.closest("[hidden], .sr-only, [data-language], [data-keyboard-keys], .keyboard, [data-keypad-for]")) continue;
    const text = norm(el.textContent || "");
    if (seen.has(text)) continue;
    seen.add(text);
    const digits = /^[A-Za-z]?[\s\d-]*\d[\s\d-]*$/.test(text) ? text.replace(/\D/g, "").length : 0;
    if (!digits && !whole.has(text)) continue;
    const heard = await window.kioskAudio.plan(text);
    const right = digits ? heard.filter((url) => words.get(url) === "#").length === digits
                         : heard.length === 1 && heard[0] === whole.get(text);
    if (!right) misread.push({text: text, heard: heard.map((url) => words.get(url) || url).join(" / ")});
  }
  return misread;
}"""

# How many clips Listen queues for the screen (read again, then silenced).
PLAN_LENGTH = """() => window.kioskAudio
  ? window.kioskAudio.readScreen().then((urls) => { window.kioskAudio.stop(); return urls.length; })
  : -1"""


# --------------------------------------------------------------------------- the kiosk in Chromium


class KioskBrowser:
    """Chromium with a touch screen, enrolled as the demo kiosk; one tab walks every language."""

    def __init__(self, port: int, enrollment_url: str, cleanups: list):
        from playwright.sync_api import sync_playwright

        parts = urlsplit(enrollment_url)
        if parts.hostname != HOST or parts.port != port:
            raise BenchError(f"enrollment URL {enrollment_url} is not on {HOST}:{port}")
        self.base = f"http://{HOST}:{port}"
        self.playwright = sync_playwright().start()
        cleanups.append(self.playwright.stop)
        self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        cleanups.append(self.browser.close)
        self.context = self.browser.new_context(viewport={"width": 1080, "height": 1500}, has_touch=True)
        self.page = self.context.new_page()
        self.page.goto(f"{self.base}{parts.path}")
        if urlsplit(self.page.url).path != "/kiosk/":
            raise BenchError(f"enrollment did not lead to the language picker: at {self.page.url}")
        self.csrf = ""

    def open(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")
        if urlsplit(self.page.url).path != urlsplit(path).path:
            raise BenchError(f"GET {path} ended at {self.page.url}")
        token = self.page.locator("input[name=csrf_token]")
        if token.count():
            self.csrf = token.first.get_attribute("value") or self.csrf

    def follow(self, path: str, target: str) -> None:
        """A GET that redirects (choosing a language, starting a complaint), in the tab's cookies."""
        self._expect(self.page.request.get(f"{self.base}{path}", max_redirects=0), target, f"GET {path}")

    def submit(self, path: str, form: dict[str, str], target: str) -> None:
        """A screen's answer, POSTed as its form would, in the tab's cookies."""
        if not self.csrf:
            raise BenchError(f"no CSRF token seen before POST {path}")
        response = self.page.request.post(f"{self.base}{path}", form={"csrf_token": self.csrf, **form},
                                          max_redirects=0)
        self._expect(response, target, f"POST {path}")

    def field(self, name: str) -> str:
        return self.page.locator(f"input[name={name}]").first.get_attribute("value") or ""

    @staticmethod
    def _expect(response, target: str, what: str) -> None:
        parts = urlsplit(response.headers.get("location", ""))
        location = parts.path + (f"?{parts.query}" if parts.query else "")
        if response.status not in (302, 303) or location != target:
            raise BenchError(f"{what}: expected a redirect to {target}, got {response.status} {location!r}")


def screens(kiosk: KioskBrowser, language: str) -> Iterator[tuple[str, str]]:
    """(screen, path) for each screen a person meets filing and tracking in this language; between
    two, the answers that lead from one to the next."""
    kiosk.follow(f"/kiosk/language/{language}", "/kiosk/home")
    yield "language picker", "/kiosk/"  # in the session's language: its Listen names every language
    yield "home", "/kiosk/home"
    kiosk.follow("/kiosk/file", "/kiosk/file/who")
    yield "who", "/kiosk/file/who"
    kiosk.submit("/kiosk/file/who", {"a_number": DEMO_A_NUMBER}, "/kiosk/file/category")
    yield "category", "/kiosk/file/category"
    kiosk.submit("/kiosk/file/category", {"choice": "medical"}, "/kiosk/file/question/urgent")
    yield "question (urgent)", "/kiosk/file/question/urgent"
    kiosk.submit("/kiosk/file/question/urgent", {"choice": "no"}, "/kiosk/file/question/since")
    kiosk.submit("/kiosk/file/question/since", {"choice": "this_week"}, "/kiosk/file/question/raised_with_facility")
    kiosk.submit("/kiosk/file/question/raised_with_facility", {"choice": "told_staff"}, "/kiosk/file/pin")
    yield "PIN", "/kiosk/file/pin"
    kiosk.submit("/kiosk/file/pin", {"pin": DEMO_PIN}, "/kiosk/file/pin-again")
    kiosk.submit("/kiosk/file/pin-again", {"pin": DEMO_PIN}, "/kiosk/file/words")
    yield "words", "/kiosk/file/words"
    kiosk.submit("/kiosk/file/words", {"description": "Me duele el pecho desde anoche."},
                 "/kiosk/file/protection/may_name")
    yield "may name", "/kiosk/file/protection/may_name"
    kiosk.submit("/kiosk/file/protection/may_name", {"choice": "no"}, "/kiosk/file/protection/fears_retaliation")
    kiosk.submit("/kiosk/file/protection/fears_retaliation", {"choice": "yes"}, "/kiosk/file/review")
    yield "review", "/kiosk/file/review"
    kiosk.submit("/kiosk/file/review", {"submission": kiosk.field("submission")}, "/kiosk/receipt")
    yield "receipt", "/kiosk/receipt"
    yield "track", "/kiosk/track"
    kiosk.follow("/kiosk/finish", "/kiosk/")


# --------------------------------------------------------------------------- measuring


@dataclass
class Screen:
    """One screen in one language: its warm Listens and their baselines."""

    language: str
    name: str
    listen_ms: list[float] = field(default_factory=list)
    baseline_ms: list[float] = field(default_factory=list)
    clips: int = 0               # what Listen queues for the screen
    silent: str | None = None    # why Listen made no sound, when it made none
    misread: list[dict] = field(default_factory=list)  # blocks read as something else (MISREAD)

    def as_json(self) -> dict:
        return {"language": self.language, "screen": self.name, "listen_ms": self.listen_ms,
                "baseline_ms": self.baseline_ms, "clips": self.clips, "silent": self.silent,
                "misread": self.misread}


def tap_listen(page) -> dict:
    """Taps Listen on the loaded screen; the times of the tap and of the first sound (None: none)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(WATCH_LISTEN)
    page.tap("[data-listen]")
    try:
        page.wait_for_function("() => window.benchListen.sound !== null", timeout=SOUND_WITHIN_S * 1000)
    except PlaywrightTimeout:
        pass
    return page.evaluate(LISTEN_RESULT)


def tap_baseline(page, url: str) -> float | None:
    """Taps a button that plays url with a bare Audio element; ms from the tap to its sound."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(WATCH_BASELINE, url)
    page.tap("#bench-baseline")
    try:
        page.wait_for_function("() => window.benchBase.sound !== null", timeout=SOUND_WITHIN_S * 1000)
    except PlaywrightTimeout:
        pass
    result = page.evaluate(BASELINE_RESULT)
    if result["sound"] is None or result["tap"] is None:
        raise BenchError(f"the baseline clip {url} did not play on {page.url}: {result['error']}")
    return result["sound"] - result["tap"]


def why_silent(result: dict) -> str:
    if result["played"] is None:
        return "audio.js never loaded"
    if not result["played"]:
        return "Listen plays nothing (no phrase of the screen matched)"
    return f"{len(result['played'])} clip(s) queued, none played"


def measure_screen(kiosk: KioskBrowser, language: str, name: str, path: str, repeats: int) -> Screen:
    screen = Screen(language, name)
    page = kiosk.page
    kiosk.open(path)
    warm = tap_listen(page)  # audio.js, the playlist and the first clip into the browser's cache
    if warm["sound"] is None:
        screen.silent = why_silent(warm)
        return screen
    screen.clips = page.evaluate(PLAN_LENGTH)
    screen.misread = page.evaluate(MISREAD)
    first_clip = warm["played"][0]
    for _ in range(repeats):
        kiosk.open(path)
        result = tap_listen(page)
        if result["sound"] is None or result["tap"] is None:
            raise BenchError(f"{language} {name}: spoke when warming, silent when measured: {why_silent(result)}")
        screen.listen_ms.append(result["sound"] - result["tap"])
        screen.baseline_ms.append(tap_baseline(page, first_clip))
    return screen


def measure_all(kiosk: KioskBrowser, languages: list[str], repeats: int) -> list[Screen]:
    measured = []
    for language in languages:
        log(f"{language}: {len(SCREENS)} screens, 1 warm-up + {repeats} measured Listens each")
        for name, path in screens(kiosk, language):
            measured.append(measure_screen(kiosk, language, name, path, repeats))
    return measured


# --------------------------------------------------------------------------- cache size and build


@dataclass
class CacheSize:
    language: str
    phrases: int
    clips: int      # distinct files the index names (phrases with the same words share one)
    bytes: int
    strays: int     # other clip files in the folder, which a build removes

    def as_json(self) -> dict:
        return {"language": self.language, "phrases": self.phrases, "clips": self.clips, "bytes": self.bytes,
                "stray_files": self.strays}


def cache_sizes(root: Path, languages: list[str]) -> list[CacheSize]:
    sizes = []
    for language in languages:
        try:
            index = json.loads((root / f"{language}.json").read_text(encoding="utf-8"))["phrases"]
        except (OSError, ValueError, KeyError) as error:
            raise BenchError(f"no audio index for {language} in {root} ({error}): run `python -m kiosk.audio`")
        names = set(index.values())
        folder = root / language
        missing = [name for name in names if not (folder / name).exists()]
        if missing:
            raise BenchError(f"{len(missing)} clips of {language}'s index are missing from {folder}")
        strays = [p for p in folder.glob("*.opus") if p.name not in names]
        sizes.append(CacheSize(language, len(index), len(names), sum((folder / n).stat().st_size for n in names),
                               len(strays)))
    return sizes


@dataclass
class Build:
    name: str
    seconds: float
    cpu_seconds: float
    summary: str  # the build's own last line

    def as_json(self) -> dict:
        return {"build": self.name, "seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "output": self.summary}


def build_cache(name: str, into: Path) -> Build:
    log(f"building the audio cache: {name}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    result = subprocess.run([h.venv_tool("python"), "-m", "kiosk.audio", "--into", str(into)], cwd=h.ROOT,
                            env={**h.clean_environ(), "PYTHONDONTWRITEBYTECODE": "1"}, capture_output=True,
                            text=True, timeout=3600)
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise BenchError(f"python -m kiosk.audio failed ({result.returncode}):\n{result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Build(name, seconds, cpu, result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "")


# --------------------------------------------------------------------------- report


def summary(values_ms: list[float]) -> dict:
    s = h.latency_summary([v / 1000 for v in values_ms])
    return {"taps": s["requests"], "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"], "mean_ms": s["mean_ms"],
            "max_ms": s["max_ms"]}


def pooled(measured: list[Screen], attribute: str) -> list[float]:
    return [v for screen in measured for v in getattr(screen, attribute)]


def overall_table(measured: list[Screen]) -> str:
    listen, base = summary(pooled(measured, "listen_ms")), summary(pooled(measured, "baseline_ms"))
    rows = [[what, s["taps"], h.fmt_ms(s["p50_ms"]), h.fmt_ms(s["p99_ms"]), h.fmt_ms(s["mean_ms"]),
             h.fmt_ms(s["max_ms"])] for what, s in (("Listen (audio.js reads the screen)", listen),
                                                     ("baseline: bare new Audio(url).play()", base))]
    rows.append(["Listen / baseline", "", ratio(listen["p50_ms"], base["p50_ms"]),
                 ratio(listen["p99_ms"], base["p99_ms"]), ratio(listen["mean_ms"], base["mean_ms"]), ""])
    return markdown_table(["tap → first sound", "taps", "p50 ms", "p99 ms", "mean ms", "max ms"], rows)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f} ×" if b and b == b and a == a else "-"


def grouped_table(measured: list[Screen], heading: str, key: str, order: list[str]) -> str:
    rows = []
    for value in order:
        group = [s for s in measured if getattr(s, key) == value]
        if not group:
            continue
        listen, base = summary(pooled(group, "listen_ms")), summary(pooled(group, "baseline_ms"))
        clips = [s.clips for s in group if s.silent is None]
        silent = [s.name if key == "language" else s.language for s in group if s.silent]
        rows.append([value, listen["taps"], h.fmt_ms(listen["p50_ms"]), h.fmt_ms(listen["p99_ms"]),
                     h.fmt_ms(listen["max_ms"]), h.fmt_ms(base["p50_ms"]), h.fmt_ms(base["p99_ms"]),
                     f"{min(clips)} – {max(clips)}" if clips else "-", sum(len(s.misread) for s in group),
                     ", ".join(silent) or "none"])
    return markdown_table([heading, "taps", "Listen p50 ms", "Listen p99 ms", "Listen max ms", "baseline p50 ms",
                           "baseline p99 ms", "clips queued", "blocks misread", "silent in"], rows,
                          right={1, 2, 3, 4, 5, 6, 7, 8})


def cache_table(sizes: list[CacheSize], root: Path) -> str:
    rows = [[s.language, s.phrases, s.clips, f"{s.bytes:,}", f"{s.bytes / 1e6:.2f}", s.strays] for s in sizes]
    total = sum(s.bytes for s in sizes)
    rows.append(["total", sum(s.phrases for s in sizes), sum(s.clips for s in sizes), f"{total:,}",
                 f"{total / 1e6:.2f}", sum(s.strays for s in sizes)])
    return (f"{root}:\n\n" + markdown_table(["language", "phrases", "clips", "bytes", "MB", "stray files"], rows))


def build_table(builds: list[Build]) -> str:
    rows = [[b.name, f"{b.seconds:.1f}", f"{b.cpu_seconds:.1f}", b.summary] for b in builds]
    return markdown_table(["python -m kiosk.audio --into <temp dir>", "wall s", "CPU s", "its report"], rows,
                          right={1, 2})


def targets(measured: list[Screen]) -> list[dict]:
    p99 = summary(pooled(measured, "listen_ms"))["p99_ms"]
    silent = [f"{s.language} {s.name}" for s in measured if s.silent]
    misread = [s for s in measured if s.misread]
    return [
        {"target": f"Listen: tap to first sound p99 < {P99_TARGET_MS:g} ms (warm cache)", "measured": f"{p99:.1f} ms",
         "pass": p99 < P99_TARGET_MS},
        {"target": "Listen says something on every screen in every language",
         "measured": f"{len(silent)} of {len(measured)} screens silent" + (f": {', '.join(silent)}" if silent else ""),
         "pass": not silent},
        {"target": "a block that is one catalog phrase, or a number, is read as that phrase or every digit",
         "measured": f"{sum(len(s.misread) for s in misread)} blocks misread on {len(misread)} of {len(measured)} "
                     "screens", "pass": not misread},
    ]


def print_report(setup: dict, measured: list[Screen], sizes: list[CacheSize], builds: list[Build],
                 goals: list[dict]) -> None:
    print(f"## Listening benchmark ({setup['database']}, {setup['workers']} gunicorn sync workers, "
          f"{len(setup['languages'])} languages × {len(SCREENS)} screens, {setup['repeats']} warm taps each, "
          f"{setup['cores']} cores)\n")
    if setup["background_busy_pct"] > 25:
        print(f"> Warning: the machine was {setup['background_busy_pct']:.0f}% busy before the bench started.\n")
    print(f"### Tap on Listen → first sound (warm cache)\n\n{overall_table(measured)}\n")
    print("Both timed inside the page with performance.now(): from the tap's pointerdown to the first `playing` "
          "(Listen: body[data-speaking] appearing; baseline: the Audio element's own event). Listen's time "
          "includes loading audio.js and the language's playlist from the browser's cache, matching the screen's "
          "text against the catalog and starting the first clip; the baseline starts the same first clip, "
          f"cached, with nothing else. Machine {setup['busy_during_pct']:.0f}% busy during the taps "
          "(Chromium, gunicorn and anything else).\n")
    print(grouped_table(measured, "screen", "name", SCREENS), "\n")
    print(grouped_table(measured, "language", "language", setup["languages"]), "\n")
    silent = [s for s in measured if s.silent]
    if silent:
        print("**Screens whose Listen made no sound:**\n")
        for s in silent:
            print(f"- {s.language}, {s.name}: {s.silent}")
        print()
    misread = [s for s in measured if s.misread]
    if misread:
        print("**Blocks read as something else** (a block that is word for word one catalog phrase should be "
              "that phrase's clip alone; a number, one clip per digit; `#` is a digit heard):\n")
        for s in misread:
            read = "; ".join(f"«{m['text']}» heard as «{m['heard'] or 'nothing'}»" for m in s.misread)
            print(f"- {s.language}, {s.name}: {read}")
        print()
    print(f"### The audio cache\n\n{cache_table(sizes, setup['audio_dir'])}\n")
    if builds:
        print(f"### Building it\n\n{build_table(builds)}\n")
    print(h.targets_table(goals), "\n")
    h.print_verdicts(goals)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = h.argument_parser(__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="measured Listens per screen and language (default 3)")
    parser.add_argument("--languages", nargs="+", metavar="CODE", help="only these kiosk languages (default all 14)")
    parser.add_argument("--no-build", action="store_true", help="skip timing python -m kiosk.audio")
    parser.add_argument("--workers", type=int, default=h.cores(), help=f"gunicorn workers (default cores = {h.cores()})")
    parser.add_argument("--database-url", type=loopback_url,
                        help="run on this PostgreSQL server (127.0.0.1 only) instead of SQLite; "
                        "a schema of its own is made and dropped")
    args = parser.parse_args(argv)
    known = phrases.kiosk_languages()
    args.languages = args.languages or known
    unknown = [code for code in args.languages if code not in known]
    if unknown:
        parser.error(f"not a kiosk language: {', '.join(unknown)} (known: {' '.join(known)})")
    if args.repeats < 1 or args.workers < 1:
        parser.error("--repeats and --workers must be at least 1")
    return args


def loopback_url(url: str) -> str:
    try:
        h.require_loopback(url)
    except BenchError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return url


def run(args: argparse.Namespace, tmpdir: Path, cleanups: list) -> int:
    audio_dir = Config.audio_dir  # what the server serves: the bench's environment sets no KIOSK_AUDIO_DIR
    sizes = cache_sizes(audio_dir, phrases.kiosk_languages())
    port = h.free_port()
    database_url = h.throw_away_database(args, tmpdir, cleanups)
    env = h.kiosk_environ(tmpdir, database_url, f"http://{HOST}:{port}")
    demo = h.demo_data(env)
    log(f"starting gunicorn ({args.workers} workers) on port {port}")
    server = h.start_gunicorn("kiosk", "kiosk.wsgi:app", h.ROOT, port, args.workers, env, tmpdir, cleanups)
    h.wait_until_serving(server, "/healthz")
    kiosk = KioskBrowser(port, demo["kiosk_enrollment_url"], cleanups)
    busy_before = h.background_busy()

    before = h.CpuSample.take(server.process.pid)
    measured = measure_all(kiosk, args.languages, args.repeats)
    busy_during = h.cpu_use(before, h.CpuSample.take(server.process.pid))["machine_busy_pct"]
    builds = []
    if not args.no_build:
        into = tmpdir / "audio"
        builds = [build_cache("from nothing", into), build_cache("again, nothing to make", into)]

    setup = {"database": "PostgreSQL" if args.database_url else "SQLite",
             "database_url": h.redacted(args.database_url or "sqlite"), "workers": args.workers,
             "cores": h.cores(), "python": sys.version.split()[0], "repeats": args.repeats,
             "languages": args.languages, "audio_dir": str(audio_dir), "background_busy_pct": busy_before,
             "busy_during_pct": busy_during, "chromium_args": BROWSER_ARGS}
    goals = targets(measured)
    print_report(setup, measured, sizes, builds, goals)
    h.write_json(args.json, {
        "setup": setup, "listen": summary(pooled(measured, "listen_ms")),
        "baseline": summary(pooled(measured, "baseline_ms")), "screens": [s.as_json() for s in measured],
        "cache": [s.as_json() for s in sizes], "cache_total_bytes": sum(s.bytes for s in sizes),
        "builds": [b.as_json() for b in builds], "targets": goals})
    return h.exit_code(args.strict, goals)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return h.run_bench(lambda tmpdir, cleanups: run(args, tmpdir, cleanups), prefix="listening-bench-",
                       time_limit=3600)


if __name__ == "__main__":
    sys.exit(main())
