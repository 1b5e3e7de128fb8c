"""Choosing a language, the home screen, finishing and staying alive."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _

from kiosk.audio import recordings
from kiosk.core import languages, voice
from kiosk.detainee import blueprint, fixed_url
from kiosk.web import i18n
from kiosk.web.db import get_session


@blueprint.get("/")
def start():
    return render_template("kiosk/language.html", choices=_language_choices(), by_ear=_by_ear_choices())


def _by_ear_choices() -> list[tuple[str, languages.SpokenLanguage]]:
    """The languages offered by ear whose every phrase has been recorded by a speaker."""
    complete = recordings.complete_spoken_languages(get_session())
    return [(fixed_url("kiosk.choose_language", code=spoken.code), spoken)
            for spoken in languages.SPOKEN_ONLY if spoken.code in complete]


def _language_choices() -> list[tuple[str, languages.Language]]:
    """(address, language) for every language. The same for every visit, so made once."""
    made = current_app.extensions.get("kiosk_language_choices")
    if made is None:
        made = [(fixed_url("kiosk.choose_language", code=language.code), language) for language in languages.LANGUAGES]
        current_app.extensions["kiosk_language_choices"] = made
    return made


@blueprint.get("/language/<code>")
def choose_language(code: str):
    spoken = languages.SPOKEN_BY_CODE.get(code)
    if spoken is not None and code in recordings.complete_spoken_languages(get_session()):
        # Heard in the language, captioned in another: the captions' catalog, the speakers' recordings.
        session["locale"], session["voice"] = spoken.caption, spoken.code
        i18n.refresh()
        return redirect(url_for("kiosk.home"))
    session.pop("voice", None)
    session["locale"] = code if languages.is_supported(code) else languages.DEFAULT
    i18n.refresh()
    if not languages.is_supported(code):
        flash(_("This language is not available. Please choose from the list."), "error")
        return redirect(url_for("kiosk.start"))
    return redirect(url_for("kiosk.home"))


@blueprint.get("/home")
def home():
    return render_template("kiosk/home.html")


@blueprint.get("/finish")
def finish():
    """Back to the language picker with nothing of this person left, not even their language: the
    next person in line must not learn it (it may say where someone comes from)."""
    _forget_recording()
    session.end()
    return redirect(url_for("kiosk.start"))


@blueprint.get("/timeout")
def timeout():
    """The idle countdown reached zero: the same as Finish. The person was asked "Are you still
    there?" in their language; the picker then says nothing in it, for the next person's sake."""
    _forget_recording()
    session.end()
    return redirect(url_for("kiosk.start"))


def _forget_recording() -> None:
    """A recording never sent leaves with the person who made it."""
    token = (session.get("draft") or {}).get("submission_token")
    if token:
        db = get_session()
        voice.discard_pending(db, token)
        db.commit()


@blueprint.get("/still-here")
def still_here():
    session.keep_alive = True  # pushes the server-side expiry forward, changes nothing else
    return {"ok": True}
