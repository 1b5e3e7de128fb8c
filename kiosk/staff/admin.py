"""The administrator's pages: staff accounts, facilities and housing units (and what routing and rates
need of a facility: its field office, operator and average daily population), kiosks, hotlines, who
is texted about an emergency nobody acknowledged, language packages.

Only administrators reach them; everyone else gets 403 (audited). Every change goes
through a core module, lands in the audit log with the administrator and their
address, and bad input is refused with one English sentence, writing nothing.
"""
from __future__ import annotations

import re
import secrets
from functools import wraps
from pathlib import Path

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from kiosk.core import (
    audit, emergencies, facilities, field_offices, hotlines, jobs, kiosks, populations, staff_accounts, text,
)
from kiosk.core.identifiers import format_phone
from kiosk.core.models import (
    Case, Facility, FacilityPopulation, Hotline, HousingUnit, Job, JobStatus, Kiosk, OnCallNumber, OperatorType,
    StaffRole, StaffUser, utcnow,
)
from kiosk.staff import blueprint
from kiosk.staff.changes import actor, in_one_transaction, save
from kiosk.translation import coverage, packages, routes
from kiosk.web.db import get_session
from kiosk.web.inputs import form_id
from kiosk.web.security import csrf

# Argos packages are 80-300 MB; the rest of the console keeps the app's 256 KB limit.
MAX_PACKAGE_UPLOAD = 512 * 1024**2
UPLOADS_FOLDER = "package-uploads"  # under the instance folder; the worker installs from here
RECENT_UPLOADS = 20
LANGUAGE_CODE = re.compile(r"[A-Za-z_-]{2,32}")  # as packages name pairs: es, zh_Hans, pt-BR


def _problem(status: int, message: str):
    """Stops the request with a page that says what is wrong."""
    abort(make_response(render_template("staff/problem.html", title="Not possible", message=message), status))


def administrator_only(view):
    @wraps(view)
    def checked(*args, **kwargs):
        if g.staff.role != StaffRole.ADMINISTRATOR:
            db = get_session()
            audit.record(db, actor(), "admin.refused", remote_addr=request.remote_addr, path=request.path[:200])
            db.commit()
            _problem(403, "Only an administrator can open this page.")
        return view(*args, **kwargs)

    return checked


def _field(name: str) -> str:
    # Not cut short: the core says "at most N characters" rather than silently storing part of it.
    return request.form.get(name, "")


def _row(model, row_id: int | None):
    """The row with this id, or None (ids come from <id:...> routes or form_id: never out of range)."""
    return get_session().get(model, row_id) if row_id is not None else None


def _existing(model, row_id, what: str):
    """The row with this id, or a 404 page saying which kind of thing is missing."""
    found = _row(model, row_id)
    if found is None:
        _problem(404, f"There is no {what} number {row_id}.")
    return found


def _facility(facility_id: int) -> Facility:
    return _existing(Facility, facility_id, "facility")


def _of_facility(facility: Facility, model, row_id: int, what: str):
    """A row of this facility (an on-call phone, a population figure), or a 404 page saying so."""
    found = _row(model, row_id)
    if found is None or found.facility_id != facility.id:
        _problem(404, f"{facility.code} has no {what} number {row_id}.")
    return found


# --- staff accounts ---------------------------------------------------------------

@blueprint.route("/admin/accounts", methods=["GET", "POST"])
@administrator_only
def accounts():
    db = get_session()
    if request.method == "POST":
            return save(lambda db: staff_accounts.create(
            db, current_app.extensions["secret_hasher"], username=_field("username"),
            display_name=_field("display_name"), role=_field("role"), password=_field("password"),
            facility_codes=request.form.getlist("facility"), actor=actor()),
            "Account created.", url_for("staff.accounts"))
    return render_template("staff/admin_accounts.html",
                           users=db.scalars(select(StaffUser).order_by(StaffUser.username)).all(),
                           facilities=db.scalars(select(Facility).order_by(Facility.code)).all())


@blueprint.post("/admin/accounts/<id:user_id>/phone")
@administrator_only
def account_phone(user_id: int):
    user = _existing(StaffUser, user_id, "staff account")
    return save(lambda db: staff_accounts.set_phone(db, user, _field("phone"), actor=actor(),
                                                    remote_addr=request.remote_addr),
                lambda _: f"Phone saved for {user.username}." if user.phone else f"Phone removed for {user.username}.",
                url_for("staff.accounts"))


@blueprint.post("/admin/accounts/<id:user_id>/<any(activate, deactivate):change>")
@administrator_only
def account_active(user_id: int, change: str):
    db = get_session()
    user = _existing(StaffUser, user_id, "staff account")
    if user.id == g.staff.id:
        _problem(400, "You cannot deactivate your own account.")  # nobody locks themselves out by mistake
    staff_accounts.set_active(db, user, change == "activate", actor=actor())
    db.commit()
    flash(f"Account {user.username} {change}d.")
    return redirect(url_for("staff.accounts"))


# --- facilities and housing units ---------------------------------------------------

@blueprint.route("/admin/facilities", methods=["GET", "POST"])
@administrator_only
def facility_list():
    db = get_session()
    if request.method == "POST":
            return save(lambda db: facilities.create(
            db, code=_field("code"), name=_field("name"), timezone=_field("timezone"), actor=actor(),
            remote_addr=request.remote_addr), lambda made: f"Facility {made.code} created.",
            url_for("staff.facility_list"))
    found = db.scalars(select(Facility).order_by(Facility.code)).all()
    kiosk_states = {}
    for kiosk in db.scalars(select(Kiosk)):
        counts = kiosk_states.setdefault(kiosk.facility_id, {})
        counts[kiosks.state(kiosk)] = counts.get(kiosks.state(kiosk), 0) + 1
        if kiosk.silent_since is not None and kiosk.revoked_at is None:
            counts["silent"] = counts.get("silent", 0) + 1
    return render_template("staff/admin_facilities.html", facilities=found, kiosk_states=kiosk_states,
                           timezones=facilities.timezones())


@blueprint.route("/admin/facilities/<id:facility_id>", methods=["GET", "POST"])
@administrator_only
def facility_page(facility_id: int):
    db = get_session()
    facility = _facility(facility_id)
    back = url_for("staff.facility_page", facility_id=facility.id)
    if request.method == "POST":
            return save(lambda db: facilities.change(
            db, facility, name=_field("name"), timezone=_field("timezone"), actor=actor(),
            remote_addr=request.remote_addr), f"Facility {facility.code} saved.", back)
    return render_template(
        "staff/admin_facility.html", facility=facility, timezones=facilities.timezones(),
        kiosks=db.scalars(select(Kiosk).where(Kiosk.facility_id == facility.id).order_by(Kiosk.id)).all(),
        kiosk_state=kiosks.state, now=utcnow(), silent_after=current_app.config["KIOSK"].kiosk_silent_after,
        on_call=db.scalars(select(OnCallNumber).where(OnCallNumber.facility_id == facility.id)
                           .order_by(OnCallNumber.id)).all(),
        escalate_after=current_app.config["KIOSK"].emergency_escalate_after,
        **_facility_context(db, facility))


@blueprint.post("/admin/facilities/<id:facility_id>/units")
@administrator_only
def add_unit(facility_id: int):
    facility = _facility(facility_id)
    return save(lambda db: facilities.add_unit(db, facility, _field("name"), actor=actor(),
                                                remote_addr=request.remote_addr),
                 lambda unit: f"Housing unit {unit.name} added.",
                 url_for("staff.facility_page", facility_id=facility.id))


def _unit(facility: Facility, unit_id: int | None) -> HousingUnit | None:
    unit = _row(HousingUnit, unit_id)
    return unit if unit is not None and unit.facility_id == facility.id else None


@blueprint.post("/admin/facilities/<id:facility_id>/units/<id:unit_id>")
@administrator_only
def rename_unit(facility_id: int, unit_id: int):
    facility = _facility(facility_id)
    unit = _unit(facility, unit_id)
    if unit is None:
        _problem(404, f"{facility.code} has no housing unit number {unit_id}.")
    return save(lambda db: facilities.rename_unit(db, unit, _field("name"), actor=actor(),
                                                   remote_addr=request.remote_addr),
                 "Housing unit renamed.", url_for("staff.facility_page", facility_id=facility.id))


# --- a facility in context: its field office, who runs it, its average daily population --------

def _facility_context(db, facility: Facility) -> dict:
    """What the facility page's context section shows."""
    return {"field_offices": field_offices.choices(), "operator_types": list(OperatorType),
            "populations": populations.of_facility(db, facility.id), "today": utcnow().date()}


@blueprint.post("/admin/facilities/<id:facility_id>/context")
@administrator_only
def facility_context(facility_id: int):
    facility = _facility(facility_id)
    return save(lambda db: facilities.set_context(db, facility, field_office=_field("field_office"),
                                                  operator_type=_field("operator_type"), actor=actor(),
                                                  remote_addr=request.remote_addr),
                f"{facility.code}: field office and operator saved.",
                url_for("staff.facility_page", facility_id=facility.id))


@blueprint.post("/admin/facilities/<id:facility_id>/population")
@administrator_only
def record_population(facility_id: int):
    facility = _facility(facility_id)
    return save(lambda db: populations.record(db, facility, as_of=_field("as_of"), population=_field("population"),
                                              actor=actor(), remote_addr=request.remote_addr),
                lambda row: f"{facility.code}: {row.population:,} detainees from {row.as_of}.",
                url_for("staff.facility_page", facility_id=facility.id))


@blueprint.post("/admin/facilities/<id:facility_id>/population/<id:row_id>/remove")
@administrator_only
def remove_population(facility_id: int, row_id: int):
    facility = _facility(facility_id)
    row = _of_facility(facility, FacilityPopulation, row_id, "population figure")
    return save(lambda db: populations.remove(db, row, actor=actor(), remote_addr=request.remote_addr),
                f"{facility.code}: the figure of {row.as_of} removed.",
                url_for("staff.facility_page", facility_id=facility.id))


@blueprint.post("/admin/facilities/population")
@administrator_only
def import_populations():
    """A CSV file of facility,date,population lines: every line stored, or none and the bad ones named."""
    back = url_for("staff.facility_list")
    upload = request.files.get("populations")
    if upload is None or not upload.filename:
        flash("Choose a CSV file of facility,date,population lines to import.", "error")
        return redirect(back)
    data = upload.read()
    return save(lambda db: populations.import_csv(db, data, actor=actor(), remote_addr=request.remote_addr), str, back)


# --- on-call phones: texted when an emergency at the facility is not acknowledged in time ---

@blueprint.post("/admin/facilities/<id:facility_id>/on-call")
@administrator_only
def add_on_call(facility_id: int):
    facility = _facility(facility_id)
    return save(lambda db: emergencies.add_on_call(db, facility, phone=_field("phone"), name=_field("name"),
                                                   actor=actor(), remote_addr=request.remote_addr),
                lambda number: f"{format_phone(number.phone)} ({number.name}) is on call for {facility.code}.",
                url_for("staff.facility_page", facility_id=facility.id))


@blueprint.post("/admin/facilities/<id:facility_id>/on-call/<id:on_call_id>/remove")
@administrator_only
def remove_on_call(facility_id: int, on_call_id: int):
    facility = _facility(facility_id)
    number = _of_facility(facility, OnCallNumber, on_call_id, "on-call phone")
    return save(lambda db: emergencies.remove_on_call(db, number, actor=actor(), remote_addr=request.remote_addr),
                f"{format_phone(number.phone)} ({number.name}) is no longer on call for {facility.code}.",
                url_for("staff.facility_page", facility_id=facility.id))


# --- kiosks -------------------------------------------------------------------------

def _show_enrollment(kiosk: Kiosk, token: str):
    """The one-time URL, in this response only: never flashed, since flashes are stored in the
    server-side session and the database keeps only the token's digest."""
    url = kiosks.enrollment_url(current_app.config["KIOSK"].public_url, token)
    return render_template("staff/admin_enrollment.html", kiosk=kiosk, url=url)


def _kiosk(kiosk_id: int) -> Kiosk:
    return _existing(Kiosk, kiosk_id, "kiosk")


@blueprint.post("/admin/facilities/<id:facility_id>/kiosks")
@administrator_only
def register_kiosk(facility_id: int):
    facility = _facility(facility_id)

    def register(db):
        unit = _unit(facility, form_id("unit"))
        if unit is None:
            raise ValueError(f"Choose one of {facility.code}'s housing units.")
        return kiosks.register(db, unit, _field("label") or f"{facility.code} {unit.name}", actor=actor(),
                               remote_addr=request.remote_addr)

    made, refused = in_one_transaction(register)
    if refused is not None:
        flash(refused, "error")
        return redirect(url_for("staff.facility_page", facility_id=facility.id))
    return _show_enrollment(*made)


@blueprint.post("/admin/kiosks/<id:kiosk_id>/enrollment")
@administrator_only
def enroll_kiosk_again(kiosk_id: int):
    kiosk = _kiosk(kiosk_id)
    token, refused = in_one_transaction(
        lambda db: kiosks.issue_enrollment(db, kiosk, actor=actor(), remote_addr=request.remote_addr))
    if refused is not None:
        flash(refused, "error")
        return redirect(url_for("staff.facility_page", facility_id=kiosk.facility_id))
    return _show_enrollment(kiosk, token)


@blueprint.post("/admin/kiosks/<id:kiosk_id>/revoke")
@administrator_only
def revoke_kiosk(kiosk_id: int):
    kiosk = _kiosk(kiosk_id)
    # Each web process remembers devices for a few seconds (kiosks.DeviceCache): this one forgets
    # at once, the others' entries run out by themselves.
    devices = current_app.extensions["kiosk_devices"]
    response = save(lambda db: kiosks.revoke(db, kiosk, actor=actor(), remote_addr=request.remote_addr),
                     f"Kiosk {kiosk.label} revoked: it stops working at once here, and within "
                     f"{devices.ttl:.0f} seconds on every other web server.",
                     url_for("staff.facility_page", facility_id=kiosk.facility_id))
    devices.expire_all()
    return response


# --- hotlines -----------------------------------------------------------------------

def _hotline_facility() -> Facility | None:
    """The form's facility: empty means every facility."""
    if not request.form.get("facility"):
        return None
    found = _row(Facility, form_id("facility"))
    if found is None:
        raise ValueError("Choose a facility from the list, or every facility.")
    return found


def _hotline_fields() -> dict:
    # The form marks that it sent its checkboxes: none ticked is refused, not read as "the defaults".
    shown_for = request.form.getlist("shown_for") if request.form.get("shown_for_listed") else None
    return {"kind": _field("kind"), "number": _field("number"), "free_call_code": _field("free_call_code"),
            "shown_for": shown_for, "actor": actor(), "remote_addr": request.remote_addr}


@blueprint.route("/admin/hotlines", methods=["GET", "POST"])
@administrator_only
def hotline_list():
    db = get_session()
    if request.method == "POST":
            return save(lambda db: hotlines.add(db, _hotline_facility(), **_hotline_fields()),
                     lambda made: f"Number {made.number} added.", url_for("staff.hotline_list"))
    every = db.scalars(select(Hotline).outerjoin(Facility).order_by(Facility.code.nulls_first(), Hotline.kind,
                                                                    Hotline.id)).all()
    return render_template("staff/admin_hotlines.html", hotlines=every, kinds=hotlines.KIND_NAMES,
                           emergencies=emergencies.KIND_NAMES, facilities=db.scalars(select(Facility).order_by(Facility.code)).all())


def _hotline(hotline_id: int) -> Hotline:
    return _existing(Hotline, hotline_id, "hotline")


@blueprint.route("/admin/hotlines/<id:hotline_id>", methods=["GET", "POST"])
@administrator_only
def hotline_page(hotline_id: int):
    db = get_session()
    hotline = _hotline(hotline_id)
    if request.method == "POST":
            return save(lambda db: hotlines.change(db, hotline, _hotline_facility(), **_hotline_fields()),
                     "Number saved.", url_for("staff.hotline_list"))
    return render_template("staff/admin_hotline.html", hotline=hotline, kinds=hotlines.KIND_NAMES,
                           emergencies=emergencies.KIND_NAMES, facilities=db.scalars(select(Facility).order_by(Facility.code)).all())


@blueprint.post("/admin/hotlines/<id:hotline_id>/remove")
@administrator_only
def remove_hotline(hotline_id: int):
    hotline = _hotline(hotline_id)
    return save(lambda db: hotlines.remove(db, hotline, actor=actor(), remote_addr=request.remote_addr),
                 f"Number {hotline.number} removed.", url_for("staff.hotline_list"))


# --- language packages --------------------------------------------------------------

def _packages_dir() -> Path:
    return current_app.config["KIOSK"].language_packages


def upload_state(job: Job) -> tuple[str, str]:
    """What became of an upload, and a line saying why."""
    if job.status == JobStatus.DONE:
        return "installed", job.payload.get("installed", "")
    if job.status == JobStatus.FAILED:
        return "failed", job.last_error or ""
    if job.status == JobStatus.RUNNING:
        return "pending", "a worker is checking and installing it"
    return "pending", (f"waiting to try again after: {job.last_error}" if job.last_error
                       else "waiting for a worker")


@blueprint.get("/admin/packages")
@administrator_only
def package_list():
    db = get_session()
    uploads = db.scalars(select(Job).where(Job.kind == jobs.JobKind.INSTALL_PACKAGE)
                         .order_by(Job.id.desc()).limit(RECENT_UPLOADS)).all()
    states = {job.id: upload_state(job) for job in uploads}
    used = set(db.scalars(select(Case.language).distinct()))  # codes only: no case is shown
    return render_template("staff/admin_packages.html", installed=packages.installed(_packages_dir()),
                           coverage=coverage.coverage(_packages_dir(), used), uploads=uploads, states=states,
                           pending=any(state == "pending" for state, _why in states.values()),
                           limit_mb=MAX_PACKAGE_UPLOAD // 1024**2)


@csrf.exempt  # checked below: the app-wide check would read the body under the app's 256 KB limit
@blueprint.post("/admin/packages")
@administrator_only
def upload_package():
    back = redirect(url_for("staff.package_list"))
    request.max_content_length = MAX_PACKAGE_UPLOAD + 64 * 1024  # and room for the form's own fields
    try:
        csrf.protect()
        upload = request.files.get("package")
    except RequestEntityTooLarge:
        flash(f"That file is larger than {MAX_PACKAGE_UPLOAD // 1024**2} MB. Nothing was saved: "
              "install it on the server with kioskctl translate install.", "error")
        return back
    if upload is None or not upload.filename:
        flash("Choose an .argosmodel file to upload.", "error")
        return back
    filename = text.clean(upload.filename, limit=None, one_line=True) or "(no name)"
    spool = Path(current_app.instance_path) / UPLOADS_FOLDER
    spool.mkdir(parents=True, exist_ok=True)
    saved = spool / f"{secrets.token_hex(16)}.argosmodel"  # never the sender's name in a path
    upload.save(saved)
    try:
        packages.check_archive(saved)
        db = get_session()
        job = jobs.enqueue(db, jobs.JobKind.INSTALL_PACKAGE, {"upload": str(saved), "filename": filename,
                                                      "requested_by": actor()}, max_attempts=3)
        db.flush()
        audit.record(db, actor(), "package.uploaded", remote_addr=request.remote_addr, job_id=job.id,
                     filename=filename, size=saved.stat().st_size)
        db.commit()
    except packages.PackageError as refused:
        saved.unlink(missing_ok=True)
        flash(f"The file {filename} is not a language package ({refused}). Nothing was saved.", "error")
        return back
    except BaseException:
        saved.unlink(missing_ok=True)
        raise
    flash(f"The file {filename} was uploaded. A worker checks it (its model must load) and installs it; "
          "this page shows when it is done.")
    return back


@blueprint.post("/admin/packages/<from_code>/<to_code>/remove")
@administrator_only
def remove_package(from_code: str, to_code: str):
    db = get_session()
    removed = packages.remove(_packages_dir(), from_code, to_code)
    if not removed:
        pair = f"{from_code} → {to_code}" if LANGUAGE_CODE.fullmatch(from_code + to_code) else "that pair"
        flash(f"No package is installed for {pair}.", "error")
    else:
        audit.record(db, actor(), "package.removed", remote_addr=request.remote_addr,
                     pair=f"{from_code}-{to_code}", packages=[p.label for p in removed])
        db.commit()
        flash(f"Removed {', '.join(p.label for p in removed)}. Cases in that language now wait for "
              "an interpreter unless another package can translate them.")
    return redirect(url_for("staff.package_list"))


@blueprint.post("/admin/packages/<name>/remove")
@administrator_only
def remove_named_package(name: str):
    db = get_session()
    removed = packages.remove_named(_packages_dir(), name)
    if not removed:
        flash("No such package is installed." if not packages.NAME.fullmatch(name)
              else f"No package named {name} is installed.", "error")
    else:
        audit.record(db, actor(), "package.removed", remote_addr=request.remote_addr,
                     packages=[p.label for p in removed])
        db.commit()
        flash(f"Removed {', '.join(p.label for p in removed)}. Cases in its languages now wait for "
              "an interpreter unless another package can translate them.")
    return redirect(url_for("staff.package_list"))


@blueprint.post("/admin/packages/prefer")
@administrator_only
def prefer_package():
    """Which package translates a pair when several can; an empty choice forgets the preference."""
    source, target = request.form.get("source", ""), request.form.get("target", "")
    name = request.form.get("package", "")
    if not LANGUAGE_CODE.fullmatch(source) or not LANGUAGE_CODE.fullmatch(target):
        flash("Choose a language pair from the coverage table.", "error")
        return redirect(url_for("staff.package_list"))
    choices = {p.name for p in routes.candidates(source, target, packages.installed(_packages_dir()))}
    if name and name not in choices:
        flash(f"That package does not translate {source} → {target}. Nothing was changed.", "error")
        return redirect(url_for("staff.package_list"))
    routes.prefer(_packages_dir(), source, target, name or None)
    db = get_session()
    audit.record(db, actor(), "package.preferred", remote_addr=request.remote_addr,
                 pair=f"{source}-{target}", package=name or None)
    db.commit()
    flash(f"The package {name} is now preferred for {source} → {target}." if name
          else f"No preference for {source} → {target}: the first package that can translate it is used.")
    return redirect(url_for("staff.package_list"))
