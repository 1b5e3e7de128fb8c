"""Which language a request speaks, and how dates and numbers read in it.

Locale negotiation lives here and nowhere else; templates get ``lang`` and
``dir`` for the <html> tag from ``page_language()``.
"""
from __future__ import annotations

import functools
from datetime import datetime, tzinfo
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
    """A date and time as people of this locale write it, to the minute, in the facility's zone,
    naming the zone (the kiosk's zone, or ``zone`` where the request has no kiosk)."""
    return moment_in(get_locale(), moment, ZoneInfo(zone) if zone else get_timezone())


# Where CLDR's short time is not all in the language's own script (a Latin "PM" or "pm"), the time
# reads with the language's own words for the part of the day: ਦੁਪਹਿਰੇ 3:10, दोपहर 3:10, 3:10 দুপুর.
_TIME_SKELETONS = {"pa": "Bhm", "hi": "Bhm", "bn": "Bhm"}
# Babel has no CLDR data for Haitian Creole: its root pattern reads "2026 M12 3 15:10" and names a
# zone by its city alone. The language's own pattern instead: "3 desanm 2026, 15:10 (lè Chicago)".
_HAITIAN_MONTHS = ("janvye", "fevriye", "mas", "avril", "me", "jen", "jiyè", "out", "septanm", "oktòb", "novanm",
                   "desanm")
# CLDR's "{city} time", where Babel has none (Haitian Creole) or reads the wrong one (Russian: its
# summer-time form, "Чикаго, летнее время", all year round).
_CITY_TIME = {"ht": "lè %s", "ru": "время %s"}
# Zones named by their city on the kiosk too: Haitian Creole has no zone names in CLDR, and CLDR's
# Russian names the North American zones as regions ("Центральная Америка" reads as Central America).
_ZONES_BY_CITY = {"ht", "ru"}


def moment_in(locale: Locale, moment: datetime, zone: tzinfo, *, texted: bool = False) -> str:
    """``moment`` as people of ``locale`` write it, to the minute, in ``zone``, naming the zone: by
    its name on a screen ("hora central"), by its city in a text message ("hora de Chicago"), which
    is shorter, and clear to family abroad, where "hora central" may be their own zone's name."""
    by_city = texted or locale.language in _ZONES_BY_CITY
    zone_name = _zone_by_city(locale, zone) if by_city else _zone_name(locale, moment, zone)
    if locale.language == "ht":
        written = f"{day_in(locale, moment, zone)}, {moment.astimezone(zone):%H:%M}"
    else:
        skeleton = _TIME_SKELETONS.get(locale.language)
        time = (dates.format_skeleton(skeleton, moment, tzinfo=zone, locale=locale) if skeleton
                else dates.format_time(moment, "short", tzinfo=zone, locale=locale))
        written = locale.datetime_formats["medium"].format(time, day_in(locale, moment, zone))  # {0} time, {1} date
    return f"{written} ({zone_name})"


def day_in(locale: Locale, moment: datetime, zone: tzinfo) -> str:
    """Only the date, as people of ``locale`` write it, in ``zone``."""
    if locale.language == "ht":
        local = moment.astimezone(zone)
        return f"{local.day} {_HAITIAN_MONTHS[local.month - 1]} {local.year}"
    return dates.format_skeleton("yMMMd", moment, tzinfo=zone, locale=locale)


def _zone_name(locale: Locale, moment: datetime, zone: tzinfo) -> str:
    """The zone as the language names it: "hora central", "Central Time". Where CLDR has no such name
    (Hawaii, UTC), the name of the zone's standard or summer time on that day ("Hawaii-Aleutian
    Standard Time")."""
    return _generic_zone_name(locale, zone) or dates.get_timezone_name(moment.astimezone(zone), "long", locale=locale)


@functools.cache
def _generic_zone_name(locale: Locale, zone: tzinfo) -> str | None:
    """CLDR's name for the zone all year round, or None where it has none: then Babel answers with a
    place ("United States (Honolulu) Time"). Asked once per language and zone: a page shows a dozen."""
    generic = dates.get_timezone_name(zone, "long", zone_variant="generic", locale=locale)
    return generic if generic != dates.get_timezone_location(zone, locale=locale) else None


@functools.cache
def _zone_by_city(locale: Locale, zone: tzinfo) -> str:
    city = dates.get_timezone_location(zone, locale=locale, return_city=True)
    return _CITY_TIME.get(locale.language, locale.zone_formats["region"]) % city


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
