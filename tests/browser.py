"""The browser the browser tests share: Debian's Chromium driven by Playwright, one per test session.

Loaded as a plugin by tests/conftest.py, so every test file asks for ``browser``, ``live`` and
``page`` by name: a file that imported them would start a second Playwright in the same process.
"""
from __future__ import annotations

import shutil
import tempfile
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from tests.helpers import register_kiosk

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    # As the kiosk's own browser is set up (deploy/kiosk-browser.md): a screen may speak as it opens.
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def playwright():
    """The one Playwright of the test session: a second one in the same process cannot start."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@contextmanager
def chromium(playwright, extra_args=(), **options):
    """A Chromium with a profile of its own, closed and wiped when the caller's ``with`` ends."""
    profile = tempfile.mkdtemp(prefix="kiosk-chromium-")
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + list(extra_args), **options)
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(playwright):
    with chromium(playwright, viewport={"width": 1080, "height": 1500}, has_touch=True) as context:
        yield context


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


def serve(app):
    server = LiveServer(app)
    return server


@contextmanager
def kiosk_counting_down(browser, config, database, seconds: float):
    """The app with a kiosk idle countdown of ``seconds``, served, and a fresh tab enrolled as the kiosk
    of unit A-1 on it: (app, server, tab)."""
    from kiosk.app import create_app

    app = create_app(config.with_changes(kiosk_idle_timeout=timedelta(seconds=seconds)))
    server = serve(app)
    try:
        browser.clear_cookies()
        tab = browser.new_page()
        tab.goto(f"{server.url}/kiosk/enroll/{register_kiosk(database)}")
        yield app, server, tab
        tab.close()
    finally:
        server.stop()
        app.extensions["database"].dispose()


@pytest.fixture
def live(app, database, place):
    server = serve(app)
    yield server
    server.stop()


@pytest.fixture
def page(browser, live, database):
    """A fresh tab on a browser enrolled as the kiosk of unit A-1, with no cookies from before."""
    browser.clear_cookies()
    tab = browser.new_page()
    tab.goto(f"{live.url}/kiosk/enroll/{register_kiosk(database)}")
    yield tab
    tab.close()
