"""Filing a complaint, one question per screen.

The answers collect in ``session["draft"]`` on the server. Each screen posts,
the draft is updated, and the browser is redirected to the next screen; a
screen reached too early sends the person back to the first unanswered one.
"""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from kiosk.core import cases, categories, hotlines, triage, voice
from kiosk.core.credentials import new_token
from kiosk.detainee import blueprint
from kiosk.detainee.forms import ANumberForm, ChoiceForm, NewPinForm, PinForm, SendForm, WordsForm
from kiosk.detainee.listening import heard_language
from kiosk.detainee.speaking import VoiceProblem, posted_recording, unusable
from kiosk.web.security import csrf
from kiosk.detainee.wording import ANSWER_WORDS, CATEGORY_WORDS, PROTECTION_WORDS, YES_NO_WORDS, question_text
from kiosk.web.db import get_session
from kiosk.web.i18n import page_language


def _draft() -> dict:
    """A copy of the draft: changes reach the session only through _save (GETs never write)."""
    return dict(session.get("draft", {}))


def _save(draft: dict) -> None:
    # The draft's one token, from its first answer: every request that stores it (the emergency
    # screen, a double-tapped Send) finds the one case it names.
    draft.setdefault("submission_token", new_token())
    session["draft"] = draft


def _steps(draft: dict) -> list[tuple[str, dict]]:
    """Every screen of the flow, in order, as (endpoint, arguments)."""
    # The danger questions come before the PIN: an emergency is stored the moment it is known.
    steps = [("kiosk.who", {}), ("kiosk.category", {})]
    # Before a category is chosen, the common questions stand in (for the progress dots).
    questions = categories.questions_for(draft.get("category", "other"))
    steps += [("kiosk.question", {"key": q.key}) for q in questions]
    steps += [("kiosk.pin", {}), ("kiosk.pin_again", {}), ("kiosk.words", {})]
    steps += [("kiosk.protection", {"key": key}) for key in _protection_questions(draft)]
    return steps + [("kiosk.review", {})]


def _protection_questions(draft: dict) -> list[str]:
    """The questions about retaliation this person is asked. Filed without a name, there is no name
    the facility could be told: only the fear is asked."""
    return [key for key in PROTECTION_WORDS if key != "may_name" or draft.get("who") != "anonymous"]


def _protection_answers(draft: dict) -> dict[str, bool]:
    """The draft's answers as the case stores them; filed without a name means not named."""
    said = draft.get("protection", {})
    return {"may_name_to_facility": draft.get("who") != "anonymous" and said.get("may_name") == "yes",
            "fears_retaliation": said.get("fears_retaliation") == "yes"}


def _is_done(draft: dict, endpoint: str, args: dict) -> bool:
    return {
        "kiosk.who": "who" in draft,
        "kiosk.pin": "pin_hash" in draft,
        "kiosk.pin_again": draft.get("pin_confirmed", False),
        "kiosk.category": "category" in draft,
        "kiosk.question": args.get("key") in draft.get("answers", {}),
        "kiosk.words": "description" in draft,
        "kiosk.protection": args.get("key") in draft.get("protection", {}),
        "kiosk.review": False,
    }[endpoint]


def _first_open_step(draft: dict) -> int:
    return next(i for i, (endpoint, args) in enumerate(_steps(draft)) if not _is_done(draft, endpoint, args))


def _guard(endpoint: str, args: dict | None = None):
    """Redirects to the first unanswered screen when this one comes after it."""
    args = args or {}
    draft = _draft()
    steps = _steps(draft)
    if (endpoint, args) not in steps:
        abort(404)
    first_open = _first_open_step(draft)
    if steps.index((endpoint, args)) > first_open:
        target, target_args = steps[first_open]
        return redirect(url_for(target, **target_args))
    return None


def _next(endpoint: str, args: dict | None = None):
    steps = _steps(_draft())
    target, target_args = steps[steps.index((endpoint, args or {})) + 1]
    return redirect(url_for(target, **target_args))


def _render(template: str, endpoint: str, args: dict | None = None, **context):
    steps = _steps(_draft())
    position = steps.index((endpoint, args or {}))
    if position:
        previous, previous_args = steps[position - 1]
        back = url_for(previous, **previous_args)
    else:
        back = url_for("kiosk.home")
    return render_template(template, step=position + 1, step_count=len(steps), back_url=back, **context)


@blueprint.get("/file")
def file_start():
    if "draft" in session:
        del session["draft"]
    return redirect(url_for("kiosk.who"))


@blueprint.route("/file/who", methods=["GET", "POST"])
def who():
    if redirected := _guard("kiosk.who"):
        return redirected
    form = ANumberForm()
    if form.validate_on_submit():
        draft = _draft()
        draft.update(who="a_number", a_number=form.a_number.parsed)
        _save(draft)
        return _next("kiosk.who")
    return _render("kiosk/who.html", "kiosk.who", form=form)


@blueprint.post("/file/who/anonymous")
def who_anonymous():
    if ChoiceForm().validate_on_submit():
        draft = _draft()
        draft["who"] = "anonymous"
        draft.pop("a_number", None)
        _save(draft)
        return _next("kiosk.who")
    abort(400)


@blueprint.route("/file/pin", methods=["GET", "POST"])
def pin():
    if redirected := _guard("kiosk.pin"):
        return redirected
    form = NewPinForm()
    if form.validate_on_submit():
        draft = _draft()
        draft.update(pin_hash=current_app.extensions["secret_hasher"].hash(form.pin.parsed), pin_confirmed=False)
        _save(draft)
        return _next("kiosk.pin")
    return _render("kiosk/pin.html", "kiosk.pin", form=form, again=False)


@blueprint.route("/file/pin-again", methods=["GET", "POST"])
def pin_again():
    if redirected := _guard("kiosk.pin_again"):
        return redirected
    form = PinForm()
    if form.validate_on_submit():
        draft = _draft()
        if current_app.extensions["secret_hasher"].verify(draft["pin_hash"], form.pin.parsed):
            draft["pin_confirmed"] = True
            _save(draft)
            return _next("kiosk.pin_again")
        # Two different PINs: choose again from the start, so nobody is left with a PIN they do not know.
        draft.pop("pin_hash")
        _save(draft)
        flash(_("The two PINs were not the same. Please choose your PIN again."), "error")
        return redirect(url_for("kiosk.pin"))
    return _render("kiosk/pin.html", "kiosk.pin_again", form=form, again=True)


@blueprint.route("/file/category", methods=["GET", "POST"])
def category():
    if redirected := _guard("kiosk.category"):
        return redirected
    form = ChoiceForm()
    if form.validate_on_submit():
        if form.choice.data not in categories.CATEGORY_CODES:
            form.choice.errors = [_("Please tap one of the pictures.")]
        else:
            draft = _draft()
            if draft.get("category") != form.choice.data:
                draft["answers"] = {}
            draft["category"] = form.choice.data
            _save(draft)
            return _next("kiosk.category")
    return _render(
        "kiosk/category.html", "kiosk.category", form=form,
        options=[(c.code, c.icon, CATEGORY_WORDS[c.code]) for c in categories.CATEGORIES],
        chosen=_draft().get("category"),
    )


@blueprint.route("/file/question/<key>", methods=["GET", "POST"])
def question(key: str):
    if redirected := _guard("kiosk.question", {"key": key}):
        return redirected
    draft = _draft()
    asked = categories.QUESTIONS_BY_KEY[key]
    form = ChoiceForm()
    if form.validate_on_submit():
        if form.choice.data not in asked.option_codes():
            form.choice.errors = [_("Please tap one of the pictures.")]
        else:
            draft.setdefault("answers", {})[key] = form.choice.data
            if triage.is_emergency(draft["category"], draft["answers"]):
                draft["emergency_case_id"] = _store_emergency(draft).id
            _save(draft)
            if "emergency_case_id" in draft and key in ("urgent", "safety_kind"):
                return redirect(url_for("kiosk.emergency", after=key))
            return _next("kiosk.question", {"key": key})
    return _render(
        "kiosk/question.html", "kiosk.question", {"key": key}, form=form,
        question=question_text(key, draft["category"]),
        options=[(code, icon, ANSWER_WORDS[(key, code)]) for code, icon, _label in asked.options],
        chosen=draft.get("answers", {}).get(key),
    )


def _store_emergency(draft: dict):
    """The case, stored in this request with what is known so far (or found, when it already was)."""
    db = get_session()  # the draft holds its token since its first answer (_save)
    report = dict(language=page_language().code, category=draft["category"], answers=draft["answers"],
                  a_number=draft.get("a_number"), submission_token=draft["submission_token"])
    try:
        case = cases.file_emergency_from_kiosk(db, g.kiosk, **report)
        db.commit()
    except IntegrityError:  # the other tap of a double tap stored it first
        db.rollback()
        case = cases.find_by_submission(db, draft["submission_token"])
        if case is None:
            raise
    return case


@blueprint.get("/file/emergency")
def emergency():
    """What to do right now, shown the moment the answers say danger; the report is already sent."""
    after = request.args.get("after", "")
    draft = _draft()
    case = cases.find_by_submission(get_session(), draft.get("submission_token", ""))
    if (case is None or after not in categories.QUESTIONS_BY_KEY
            or ("kiosk.question", {"key": after}) not in _steps(draft)):
        return redirect(url_for("kiosk.home"))
    steps = _steps(draft)
    target, args = steps[steps.index(("kiosk.question", {"key": after})) + 1]
    kind = case.emergency_kind
    return render_template(
        "kiosk/emergency.html", case=case, kind=kind,
        help=hotlines.for_emergency(get_session(), g.kiosk.facility_id, kind),
        continue_url=url_for(target, **args),
        back_url=url_for("kiosk.question", key=after),
    )


@csrf.exempt  # checked in posted_recording, under the limit a recording needs
@blueprint.route("/file/words", methods=["GET", "POST"])
def words():
    problem, recorded, too_big = None, None, None
    if request.method == "POST":  # the CSRF check first, as for every other form
        try:
            recorded = posted_recording()
        except VoiceProblem as refused:
            too_big = str(refused)
    if redirected := _guard("kiosk.words"):
        return redirected
    draft = _draft()
    if too_big:  # a body this size cannot be read at all: the page again, as last saved
        return _words_page(WordsForm(formdata=None, description=draft.get("description", "")), draft, too_big)
    form = WordsForm()
    if request.method == "GET":
        form.description.data = draft.get("description", "")
    if form.validate_on_submit():
        draft["description"] = form.description.data or ""
        _save(draft)
        if recorded is not None:
            db = get_session()
            try:
                voice.keep_pending(db, draft["submission_token"], g.kiosk.id, heard_language(page_language().code),
                                   recorded)
                db.commit()
            except voice.RecordingUnusable:
                db.rollback()
                problem = unusable()
        if problem is None:
            return _next("kiosk.words")
    return _words_page(form, draft, problem)


@blueprint.route("/file/protection/<key>", methods=["GET", "POST"])
def protection(key: str):
    """May the facility be told the person's name; are they afraid of staff's punishment."""
    if redirected := _guard("kiosk.protection", {"key": key}):
        return redirected
    draft = _draft()
    asked = PROTECTION_WORDS[key]
    form = ChoiceForm()
    if form.validate_on_submit():
        if form.choice.data not in asked.answers:
            form.choice.errors = [_("Please tap one of the pictures.")]
        else:
            draft["protection"] = {**draft.get("protection", {}), key: form.choice.data}
            _save(draft)
            return _next("kiosk.protection", {"key": key})
    return _render(
        "kiosk/question.html", "kiosk.protection", {"key": key}, form=form, question=asked.question,
        explanation=asked.explanation, options=[(code, code, words) for code, words in asked.answers.items()],
        chosen=draft.get("protection", {}).get(key),
    )


def _words_page(form: WordsForm, draft: dict, problem: str | None):
    return _render("kiosk/words.html", "kiosk.words", form=form, max_length=cases.MAX_DESCRIPTION,
                   problem=problem,
                   recorded=voice.pending(get_session(), draft.get("submission_token", "")))


@blueprint.route("/file/review", methods=["GET", "POST"])
def review():
    form = SendForm()
    if request.method == "POST" and form.validate_on_submit():
        token = form.submission.data or ""
        filed = _send(token)
        if filed is not None:
            return redirect(url_for("kiosk.receipt"))
    if redirected := _guard("kiosk.review"):
        return redirected
    draft = _draft()
    if "submission_token" not in draft:  # one token per draft: a second tap finds the first case
        draft["submission_token"] = new_token()
        _save(draft)
    form.submission.data = draft["submission_token"]
    return _render(
        "kiosk/review.html", "kiosk.review", form=form, draft=draft,
        recorded=voice.pending(get_session(), draft["submission_token"]),
        category_words=CATEGORY_WORDS[draft["category"]],
        answers=[(question_text(k, draft["category"]), ANSWER_WORDS[(k, v)]) for k, v in draft["answers"].items()],
        protection=[(PROTECTION_WORDS[k].on_review, YES_NO_WORDS[draft["protection"][k]])
                    for k in _protection_questions(draft)],
    )


def _send(token: str):
    """Files the draft once. A second tap with the same token finds the case the first one made."""
    db = get_session()
    draft = session.get("draft") or {}
    ours = bool(token) and draft.get("submission_token") == token
    case = cases.find_by_submission(db, token) if token else None
    if case is None or (ours and case.completed_at is None):  # new, or stored early at the emergency screen
        if not ours or _first_open_step(draft) != len(_steps(draft)) - 1:
            return None
        complaint = cases.Complaint(
            language=page_language().code, category=draft["category"], answers=draft["answers"],
            description=draft["description"], pin_hash=draft["pin_hash"], a_number=draft.get("a_number"),
            **_protection_answers(draft),
        )
        try:
            case = cases.file_from_kiosk(db, g.kiosk, complaint, submission_token=token)
            voice.attach(db, token, case)  # the case and its recording, in one transaction
            db.commit()
        except IntegrityError:  # the other tap of a double tap won the race
            db.rollback()
            case = cases.find_by_submission(db, token)
            if case is None:
                raise
    elif not (ours or case.id in session.get("open_case_ids", [])):
        return None
    session.pop("draft", None)
    session["open_case_ids"] = [case.id]
    session["receipt_case_id"] = case.id
    return case
