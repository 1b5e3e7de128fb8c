"""Which language a request speaks, and how dates and numbers read in it.

Locale negotiation lives here and nowhere else; templates get ``lang`` and
``dir`` for the <html> tag from ``page_language()``.
"""
from __future__ import annotations

import functools
from zoneinfo import ZoneInfo

from babel import Locale, dates, support
from flask import g, has_request_context, session
from flask_babel import Babel, get_locale, get_timezone
from flask_babel import refresh as babel_refresh
from markupsafe import Markup

from kiosk.config import PROJECT_ROOT
from kiosk.core.identifiers import format_phone
from kiosk.core.languages import BY_CODE, DEFAULT, Language, is_supported, language

CATALOGS_DIR = PROJECT_ROOT / "translations"


def current_locale() -> str:
    """The locale of this request: a surface may pin one (the staff read English)."""
    if not has_request_context():
        return DEFAULT
    pinned = g.get("locale")
    if pinned:
        return pinned
    chosen = session.get("locale") if session is not None else None
    return chosen if is_supported(chosen) else DEFAULT


# Parsed once: Flask-Babel would parse the locale identifier again on every request.
_BABEL_LOCALES = {code: Locale.parse(code) for code in BY_CODE}


def _babel_locale() -> Locale:
    return _BABEL_LOCALES[current_locale()]


def page_language() -> Language:
    return language(current_locale())


def current_timezone() -> str:
    """Times are shown in the facility's own time zone, where there is a facility."""
    kiosk = g.get("kiosk") if has_request_context() else None
    return kiosk.timezone if kiosk is not None else "UTC"


def when(moment, zone: str | None = None) -> str:
    """A date and time as people of this locale write it, to the minute, in the facility's zone
    (the kiosk's, or ``zone`` where the request has no kiosk: a text about a case)."""
    locale, zone = get_locale(), ZoneInfo(zone) if zone else get_timezone()
    day = dates.format_skeleton("yMMMd", moment, tzinfo=zone, locale=locale)
    time = dates.format_time(moment, "short", tzinfo=zone, locale=locale)
    return locale.datetime_formats["medium"].format(time, day)  # CLDR: {0} is the time, {1} the date


def ltr(value) -> Markup:
    """Numbers and codes keep their left-to-right order inside right-to-left sentences."""
    return Markup('<bdi dir="ltr">%s</bdi>') % value


@functools.cache
def catalog(code: str) -> support.NullTranslations:
    """A language's compiled catalog. Catalogs never change while the app runs, so each is read once."""
    return support.Translations.load(str(CATALOGS_DIR), [_BABEL_LOCALES.get(code, code)])


def _translations():
    """This request's catalog, for messages that only become known at render time."""
    return catalog(current_locale())


def refresh() -> None:
    """After the locale changed mid-request (a language was just chosen)."""
    babel_refresh()


def init_app(app) -> Babel:
    babel = Babel(app, locale_selector=_babel_locale, timezone_selector=current_timezone)
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: _translations().ugettext(text),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals["page_language"] = page_language
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["ltr"] = ltr
    app.jinja_env.filters["phone"] = format_phone  # (512) 555-0123 at home, +52 55 1234 5678 abroad
    return babel
