"""The housing-unit kiosk: the detainee's surface.

Only an enrolled device may use it. Nothing a person entered survives their
session: pages are never cached, data stays on the server, and an idle or
finished session is cleared, the language too.
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from kiosk.core import kiosks, silent_kiosks
from kiosk.core.identifiers import format_a_number
from kiosk.detainee.wording import EMERGENCY_ADVICE, HOTLINE_WORDS, OUTSIDE_FIRST_ADVICE
from kiosk.web.db import get_session
from kiosk.web.errors import shows_errors
from kiosk.web.inputs import refuse_nul
from kiosk.web.templating import constant

DEVICE_COOKIE = "kiosk_device"
DEVICE_COOKIE_MAX_AGE = 10 * 365 * 24 * 3600

blueprint = Blueprint(
    "kiosk",
    __name__,
    static_folder=str(Path(__file__).resolve().parent.parent / "static"),
    static_url_path="/static",
)

blueprint.add_app_template_filter(format_a_number, "a_number")


@blueprint.app_template_global()
@constant
def fixed_url(endpoint: str, **values) -> str:
    """The address of a page that does not depend on anyone's data (the home screen, a language,
    a static file). It never changes while the app runs, so it is built once: a kiosk page links
    to a dozen of them. Not for addresses built from a case or a person."""
    urls = current_app.extensions.setdefault("kiosk_fixed_urls", {})
    key = (endpoint, *sorted(values.items()))
    if key not in urls:
        urls[key] = url_for(endpoint, **values)
    return urls[key]


@blueprint.app_template_global()
@constant
def static_url(filename: str) -> str:
    return fixed_url("kiosk.static", filename=filename)


@blueprint.app_template_global()
@constant
def icon(name: str, cls: str = "icon") -> Markup:
    """An icon of static/icons.svg, written into the page: a page shows 3 to 16 of its 43 icons, and
    the whole sprite (9 KB) weighed more than a page's own HTML on every first visit. A Python
    global, not a macro, and made once: pages show a dozen or more."""
    made = current_app.extensions.setdefault("kiosk_icons", {})
    if (name, cls) not in made:
        attributes, drawing = _sprite()[name]
        made[name, cls] = Markup('<svg class="%s" aria-hidden="true" focusable="false"') % cls + Markup(
            f"{attributes}>{drawing}</svg>")
    return made[name, cls]


SYMBOL = re.compile(r'<symbol id="i-([\w-]+)"([^>]*)>(.*?)</symbol>', re.DOTALL)


def _sprite() -> dict[str, tuple[str, str]]:
    """Each icon of the sprite by name: its symbol's attributes (viewBox, stroke...) and drawing."""
    if "kiosk_sprite" not in current_app.extensions:
        text = (Path(blueprint.static_folder) / "icons.svg").read_text(encoding="utf-8")
        current_app.extensions["kiosk_sprite"] = {m[1]: (m[2], m[3]) for m in SYMBOL.finditer(text)}
    return current_app.extensions["kiosk_sprite"]


@blueprint.record_once
def _set_up(state):
    state.app.extensions["kiosk_devices"] = kiosks.DeviceCache()
    state.app.extensions["kiosk_heartbeats"] = silent_kiosks.Heartbeats()
    # The same on every page for the life of the app: globals, not a context processor run per page.
    idle_seconds = int(state.app.config["KIOSK"].kiosk_idle_timeout.total_seconds())
    state.app.jinja_env.globals.update(idle_seconds=idle_seconds, hotline_words=HOTLINE_WORDS,
                                       emergency_advice=EMERGENCY_ADVICE, outside_first_advice=OUTSIDE_FIRST_ADVICE)

# Reachable before the device is enrolled.
# Public, like the static files: the keyboards' generated tables.
OPEN_ENDPOINTS = {"kiosk.enroll", "kiosk.static", "kiosk.keyboard_table"}


blueprint.before_request(refuse_nul)


@blueprint.before_request
def _require_enrolled_kiosk():
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    g.kiosk = current_app.extensions["kiosk_devices"].lookup(get_session, request.cookies.get(DEVICE_COOKIE))
    if g.kiosk is None:
        return render_template("kiosk/not_set_up.html"), 403
    # Any request is the kiosk's heartbeat: its idle countdown keeps even an unused kiosk asking.
    current_app.extensions["kiosk_heartbeats"].heard(get_session, g.kiosk.id)
    if getattr(session, "timed_out", False) and request.endpoint != "kiosk.start":
        return redirect(url_for("kiosk.start"))  # the session expired: start again, with nothing of it
    return None


@shows_errors("/kiosk")
def _problem(error: HTTPException):
    """Every error on the kiosk: one sentence in the person's language and a way to start again."""
    if isinstance(error, CSRFError):
        message = _("This page was too old. Nothing was saved. Please start again.")
    elif error.code == 404:
        message = _("This page does not exist.")
    elif error.code == 413:
        message = _("Your text is too long. Please make it shorter.")
    else:
        message = _("Nothing was saved. Please try again.")
    return render_template("kiosk/problem.html", message=message), error.code


from kiosk.detainee import enrollment, filing, keyboards, listening, start, tracking  # noqa: E402,F401  (registers the views)
