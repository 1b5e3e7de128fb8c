"""Every SMS text, in the reader's language; short, because two segments is the limit."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from babel import Locale
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from kiosk.core.languages import BY_CODE, DEFAULT
from kiosk.core.models import CaseStatus
from kiosk.web.i18n import day_in, moment_in
from kiosk.web.wording import STATUS_WORDS
from sms import segments

NEXT_STEP = {
    CaseStatus.NEW: "due",
    CaseStatus.ACKNOWLEDGED: "due",
    CaseStatus.IN_REVIEW: "due",
    CaseStatus.FACILITY_CONTACTED: "facility",
    CaseStatus.REFERRED: "referred",
}


# Parsed once: force_locale would parse the identifier again for every text.
_LOCALES = {code: Locale.parse(code) for code in BY_CODE}


def in_language(language: str | None, make):
    """Runs ``make`` with the catalog of ``language`` (the default for anything unknown)."""
    with force_locale(_LOCALES.get(language) or _LOCALES[DEFAULT]):
        return make()


def status(case, zone: str) -> str:
    """A case's status and one date, in the facility's time (``zone``): when the answer is due, with
    the time and the zone, or else the day of the last update. Two dates with times and a zone do
    not fit two segments in Arabic, Bengali, Hindi or Punjabi."""
    words = str(STATUS_WORDS.get(case.status, case.status))
    step = NEXT_STEP.get(case.status)
    if step == "due":
        due = moment_in(get_locale(), case.due_at, ZoneInfo(zone), texted=True)
        return _("Complaint %(number)s: %(status)s. %(next)s", number=case.number, status=words,
                 next=_("A case manager will answer by %(date)s.", date=due))
    if step == "facility":
        following = _("We are waiting for the facility's answer.")
    elif step == "referred":
        following = _("Another office is looking into it.")
    else:
        following = _("This complaint is closed.")
    return _("Complaint %(number)s: %(status)s. Last update: %(date)s. %(next)s", number=case.number, status=words,
             date=day_in(get_locale(), case.updated_at, ZoneInfo(zone)), next=following)


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
             "FOLLOW to get updates. LANG to change language. NEW to report a problem.")


def status_changed(case) -> str:
    return _("Complaint %(number)s has a new status: %(status)s.", number=case.number,
             status=str(STATUS_WORDS.get(case.status, case.status)))


# The guided report (NEW), one short question per text.
def ask_language(current_name: str) -> str:
    return _("Report a problem for a detained person. Reply 1 to write in %(language)s, or the name of "
             "another language.", language=current_name)


def ask_facility() -> str:
    return _("Which detention facility is the person in? Reply with its name or code.")


def choose_facility(choices: str) -> str:
    return _("Reply with the number of the facility: %(choices)s", choices=choices)


def no_facility() -> str:
    return _("No facility has that name. Reply with another name or code.")


def ask_detainee() -> str:
    return _("Reply with the person's A-number. If you do not know it, reply with the person's full name.")


def bad_a_number() -> str:
    return _("An A-number has 8 or 9 digits. Reply with it, or with the person's full name.")


def ask_danger() -> str:
    return _("Is the person in danger now, or do they need a doctor now? Reply 1 danger, 2 doctor, 3 no.")


def emergency_filed(number: str, phones: list[str]) -> str:
    """The case number and as many of the numbers to call as two segments hold, the first ones first."""
    for shown in range(len(phones), 0, -1):
        said = _("Complaint %(number)s was sent as an emergency. Call for help now: %(phones)s. "
                 "Reply 1 for the next questions.", number=number, phones=", ".join(phones[:shown]))
        if segments.fits(said):
            return said
    return _("Complaint %(number)s was sent as an emergency. A case manager will look at it today. "
             "Reply 1 for the next questions.", number=number)


def emergency_kept(number: str) -> str:
    return _("Complaint %(number)s stays as it was sent. Send STATUS %(number)s to follow it.", number=number)


def ask_relationship() -> str:
    return _("Who are you to the person? Reply 1 family, 2 lawyer, 3 friend, 4 other.")


def ask_category() -> str:
    return _("What is it about? 1 health, 2 lawyer or phone, 3 danger or abuse, 4 living conditions, 5 food, "
             "6 belongings, 7 mail or visits, 8 staff, 9 religion, 10 disability, 11 other")


def ask_may_name() -> str:
    return _("May we tell the facility the person's name when we ask them to fix this? Reply 1 yes, 2 no.")


def ask_fears_retaliation() -> str:
    return _("Is the person afraid that staff will punish them for complaining? Reply 1 yes, 2 no.")


def ask_description() -> str:
    return _("Describe the problem. You can send several texts. Send DONE when you have finished.")


def more_description() -> str:
    return _("Received. Send more, or DONE.")


def description_too_long() -> str:
    return _("That is more than a report can hold; this last text was not added. Send DONE to send what you "
             "wrote, or CANCEL.")


def reported(number: str, code: str) -> str:
    return _("Thank you. Complaint %(number)s was filed. Its share code is %(code)s. "
             "Send STATUS %(number)s to follow it.", number=number, code=code)


def cancelled() -> str:
    return _("Your report was cancelled. Nothing was sent.")


def lapsed() -> str:
    return _("Your report was not finished within 24 hours and was deleted. Send NEW to start again.")
