"""Every SMS text, in the reader's language; short, because two segments is the limit."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from kiosk.i18n import BY_CODE, DEFAULT
from kiosk.statuses import STATUS_WORDS

NEXT_STEP = {
    "new": "due",
    "acknowledged": "due",
    "in_review": "due",
    "facility_contacted": "facility",
    "referred": "referred",
}


def in_language(language: str | None, make):
    """Runs ``make`` with the catalog of ``language`` (the default for anything unknown)."""
    with force_locale(language if language in BY_CODE else DEFAULT):
        return make()


def status(case, when) -> str:
    words = str(STATUS_WORDS.get(case.status, case.status))
    step = NEXT_STEP.get(case.status)
    if step == "due":
        following = _("A case manager will answer by %(date)s.", date=when(case.due_at))
    elif step == "facility":
        following = _("We are waiting for the facility's answer.")
    elif step == "referred":
        following = _("Another office is looking into it.")
    else:
        following = _("This complaint is closed.")
    return _("Complaint %(number)s: %(status)s. Last update: %(date)s. %(next)s",
             number=case.number, status=words, date=when(case.updated_at), next=following)


def not_found() -> str:
    return _("We found no complaint you may follow with that number and code. Check them and try again.")


def locked() -> str:
    return _("Too many tries. Please try again in one hour.")


def following(number: str) -> str:
    return _("You will get a text when complaint %(number)s changes. Send UNFOLLOW %(number)s to stop.",
             number=number)


def not_following(number: str) -> str:
    return _("You will no longer get texts about complaint %(number)s.", number=number)


def language_set(name: str) -> str:
    return _("Answers will now come in %(language)s.", language=name)


def stopped() -> str:
    return _("You will get no more texts from us. Send START to get them again.")


def started() -> str:
    return _("You will get texts from us again. Send HELP for help.")


def usage() -> str:
    return _("Send STATUS and the complaint number (and the share code) to see its status. "
             "FOLLOW to get updates. LANG to change language.")


def status_changed(case) -> str:
    return _("Complaint %(number)s has a new status: %(status)s.", number=case.number,
             status=str(STATUS_WORDS.get(case.status, case.status)))
