"""kioskctl: Flask's own commands (run, shell, routes) plus the product's.

Every command is on the group itself, so a command is found (and its --help shown)
without building the app. A deployment that cannot start (no KIOSK_SECRET_KEY) and a
database without the schema this version needs are each told in one line, with
what to do, and a non-zero exit: never a traceback.
"""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import select

from kiosk.app import create_app
from kiosk.config import ConfigError
from kiosk.core import case_translations, facilities, kiosks, migrate, report_months
from kiosk.core.models import Case, Facility, JobStatus, Kiosk, OperatorType, StaffRole
from kiosk.web.db import get_database


def _create_app():
    try:
        return create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None  # click prints "Error: ..." and exits 1


class Kioskctl(FlaskGroup):
    """Flask's group, minus looking for commands on the app: ours, and Flask's run, shell and
    routes, are all on the group, so finding one never builds the app (nor fails to)."""

    def get_command(self, ctx, name):
        return click.Group.get_command(self, ctx, name)

    def list_commands(self, ctx):
        return click.Group.list_commands(self, ctx)


@click.group(cls=Kioskctl, create_app=_create_app, add_version_option=False)
def main():
    """Manage the complaint kiosk: database, kiosks, demo data, and the server."""


def _url() -> str:
    return current_app.config["KIOSK"].database_url


def with_schema(command):
    """with_appcontext, and a database migrated to this version's schema first."""

    @with_appcontext
    @functools.wraps(command)
    def checked(*args, **kwargs):
        problem = migrate.schema_problem(_url())
        if problem:
            raise click.ClickException(problem)
        return command(*args, **kwargs)

    return checked


@click.group(cls=AppGroup)
def db():
    """Database schema migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision):
    """Bring the schema up to REVISION (default: the newest)."""
    migrate.upgrade(_url(), revision)
    click.echo("database is up to date")


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision):
    """Take the schema back to REVISION."""
    migrate.downgrade(_url(), revision)


@db.command("current")
@with_appcontext
def db_current():
    """Show the schema's revision."""
    migrate.current(_url())


@db.command("recount")
@with_schema
def db_recount():
    """Count the monthly tallies of the Patterns and Reports pages again from the cases.

    Triggers on the cases keep them; run this after what triggers never see: a data-only restore
    with triggers disabled (pg_restore --disable-triggers) or a TRUNCATE of the cases."""
    with get_database().transaction() as session:
        rows = report_months.recount(session)
    click.echo("counted again: " + ", ".join(f"{table} {n:,} rows" for table, n in rows.items()))


@click.group(cls=AppGroup)
def facility():
    """Facilities and their housing units."""


@facility.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--timezone", default="America/New_York", show_default=True, help="IANA name, e.g. America/Chicago")
@with_schema
def facility_add(code, name, timezone):
    try:
        with get_database().transaction() as session:
            added = facilities.create(session, code=code, name=name, timezone=timezone, actor="cli")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"added facility {added.code}")


@facility.command("add-unit")
@click.argument("code")
@click.argument("unit")
@with_schema
def facility_add_unit(code, unit):
    try:
        with get_database().transaction() as session:
            found = session.scalar(select(Facility).where(Facility.code == code.upper()))
            if found is None:
                raise click.ClickException(f"no facility {code}")
            added = facilities.add_unit(session, found, unit, actor="cli")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"added housing unit {added.name} to {code}")


@facility.command("context")
@click.argument("code")
@click.option("--field-office", default="", help="the ERO field office its cases route to, e.g. NOL (empty: none)")
@click.option("--operator-type", default="", type=click.Choice(["", *[kind.value for kind in OperatorType]]),
              help="who runs it (empty: not set)")
@with_schema
def facility_context(code, field_office, operator_type):
    """Set a facility's field office and operator."""
    try:
        with get_database().transaction() as session:
            found = session.scalar(select(Facility).where(Facility.code == code.upper()))
            if found is None:
                raise click.ClickException(f"no facility {code}")
            facilities.set_context(session, found, field_office=field_office, operator_type=operator_type,
                                   actor="cli")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{code.upper()}: field office {field_office.upper() or 'not set'}, operator {operator_type or 'not set'}")


@facility.command("import-population")
@click.argument("csv_file", type=click.File("rb"))
@with_schema
def facility_import_population(csv_file):
    """Import average daily populations from a CSV file (- for standard input): a first line
    facility,date,population, then one figure a line. Every line or none."""
    from kiosk.core import populations

    try:
        with get_database().transaction() as session:
            imported = populations.import_csv(session, csv_file.read(populations.MAX_IMPORT_BYTES + 1), actor="cli")
    except populations.ImportRefused as refused:
        raise click.ClickException("\n".join(["nothing was imported:", *refused.problems])) from None
    click.echo(str(imported))


@click.group(cls=AppGroup)
def kiosk():
    """Registered kiosks."""


def enrollment_url(token: str) -> str:
    return kiosks.enrollment_url(current_app.config["KIOSK"].public_url, token)


@kiosk.command("register")
@click.option("--facility", "facility_code", required=True, help="facility code, e.g. RBP")
@click.option("--unit", required=True, help="housing unit name, e.g. A-1")
@click.option("--label", default=None, help="a name to recognise the device by")
@with_schema
def kiosk_register(facility_code, unit, label):
    """Register a kiosk and print its one-time enrollment URL (valid 24 hours)."""
    with get_database().transaction() as session:
        try:
            place = kiosks.find_unit(session, facility_code, unit)
            registered, token = kiosks.register(session, place, label or f"{facility_code} {unit}", actor="cli")
        except (kiosks.UnknownPlace, ValueError) as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"kiosk {registered.id} registered; open this URL once on the device:")
    click.echo(enrollment_url(token))


@kiosk.command("enroll-again")
@click.argument("kiosk_id", type=int)
@with_schema
def kiosk_enroll_again(kiosk_id):
    """Print a fresh enrollment URL for a kiosk (its current browser stops working once used)."""
    with get_database().transaction() as session:
        found = session.get(Kiosk, kiosk_id)
        if found is None:
            raise click.ClickException(f"no kiosk {kiosk_id}")
        try:
            token = kiosks.issue_enrollment(session, found, actor="cli")
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    click.echo(enrollment_url(token))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="print what was made as JSON")
@click.option("--force", is_flag=True, help="load demo data even outside development")
@with_schema
def demo(as_json, force):
    """Load demo facilities, a kiosk, staff accounts and sample cases (safe to run again)."""
    from kiosk import demo as demo_data

    config = current_app.config["KIOSK"]
    if not config.development and not force:
        raise click.ClickException("refusing to load demo data outside development (KIOSK_ENV=development, or --force)")
    made = demo_data.load(get_database(), current_app.extensions["secret_hasher"])
    made["kiosk_enrollment_url"] = enrollment_url(made.pop("kiosk_enrollment_token"))
    if as_json:
        click.echo(json.dumps(made, indent=2, ensure_ascii=False))
    else:
        click.echo(f"demo data loaded: {len(made['cases'])} cases, {len(made['staff'])} staff accounts")
        click.echo(f"demo kiosk enrollment URL: {made['kiosk_enrollment_url']}")


@click.group(cls=AppGroup)
def translate():
    """Offline translation: language packages and a quick check of one."""


def _packages_dir():
    return current_app.config["KIOSK"].language_packages


@translate.command("install")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@with_schema
def translate_install(paths):
    """Install packages (.argosmodel: Argos, OPUS-MT, M2M-100, NLLB) from files or folders (a USB stick)."""
    from kiosk.translation import packages, routes

    archives = packages.archives_in(list(paths))
    if not archives:
        raise click.ClickException("no .argosmodel files found")
    failed, languages = 0, set()
    for archive in archives:
        try:
            package = packages.install(archive, _packages_dir())
            click.echo(f"installed {package.label} ({package.covers}) from {archive.name}")
            languages |= routes.product_codes(package)
        except packages.PackageError as error:
            failed += 1
            click.echo(f"refused {archive}: {error}", err=True)
    if languages:
        with get_database().transaction() as session:
            retried = case_translations.retry_unavailable(session, languages, actor="cli")
        if retried:
            click.echo(f"{retried} text(s) no package could translate are queued again for the worker")
    if failed:
        raise SystemExit(1)


@translate.command("list")
@with_appcontext
def translate_list():
    """Installed packages: what each covers, version, size, family and licence."""
    from kiosk.translation import packages

    found = packages.installed(_packages_dir())
    if not found:
        click.echo(f"no language packages in {_packages_dir()}")
    for package in found:
        click.echo(f"{package.covers}  {package.version:8}  {package.size() / 1024**2:8.1f} MB  "
                   f"{package.family:8} {package.license or 'licence not stated':12}  {package.path.name}")


@translate.command("remove")
@click.argument("name_or_pair", nargs=-1, required=True)
@with_appcontext
def translate_remove(name_or_pair):
    """Remove a package by NAME (any family: translate-es_en, opus-mt-vi-en, m2m100_418M), or every
    package of the pair FROM TO."""
    from kiosk.translation import packages

    if len(name_or_pair) > 2:
        raise click.ClickException("give a package's name, or a pair: FROM TO")
    if len(name_or_pair) == 2:
        removed = packages.remove(_packages_dir(), *name_or_pair)
        what = " -> ".join(name_or_pair)
    else:
        removed = packages.remove_named(_packages_dir(), name_or_pair[0])
        what = name_or_pair[0]
    if not removed:
        raise click.ClickException(f"no package installed for {what} (kioskctl translate list names them)")
    for package in removed:
        click.echo(f"removed {package.label}")


def _parse_languages(pairs: tuple[str, ...]) -> dict[str, str]:
    languages = {}
    for pair in pairs:
        code, _, token = pair.partition("=")
        if not code or not token:
            raise click.ClickException(f"--language takes CODE=TOKEN (es=__es__), not {pair!r}")
        languages[code] = token
    return languages


@translate.command("package")
@click.argument("converted", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--family", type=click.Choice(["opus-mt", "m2m100", "nllb", "argos"]), required=True)
@click.option("--version", "version", default="1.0", show_default=True)
@click.option("--name", help="the package's name (required for m2m100 and nllb: m2m100_418M)")
@click.option("--from", "from_code", help="opus-mt and argos: the source language")
@click.option("--to", "to_code", help="opus-mt and argos: the target language")
@click.option("--language", "languages", multiple=True, metavar="CODE=TOKEN",
              help="m2m100/nllb: a language and its model token (default: every Handbook language the "
                   "model's vocabulary has a token for)")
@click.option("--license", "license_", help="the model's licence (apache-2.0, MIT, CC-BY-NC-4.0)")
@click.option("--source", "source_url", help="where the model came from (a URL)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True)
@with_appcontext
def translate_package(converted, family, version, name, from_code, to_code, languages, license_, source_url,
                      out_dir):
    """Build a package from a CTranslate2 converter's output folder, and check it as install does."""
    from kiosk.translation import packages, sources

    metadata = {"package_version": version, "model_family": family}
    if family in packages.MULTILINGUAL:
        if not name:
            raise click.ClickException(f"a {family} package needs --name (for example m2m100_418M)")
        chosen = _parse_languages(languages)
        if not chosen:
            try:
                vocabulary, _target = packages.model_vocabulary(converted)
            except packages.PackageError as error:
                raise click.ClickException(str(error)) from None
            chosen = {code: token for code, token in sources.TOKENS[family].items() if token in vocabulary}
        metadata["languages"] = chosen
    elif not from_code or not to_code:
        raise click.ClickException(f"a {family} package needs --from and --to")
    else:
        metadata.update(from_code=from_code, to_code=to_code)
    for key, value in (("name", name), ("license", license_), ("source", source_url)):
        if value:
            metadata[key] = value
    try:
        archive, package = packages.pack(converted, out_dir, metadata)
    except packages.PackageError as error:
        raise click.ClickException(f"not packaged: {error}") from None
    click.echo(f"built {archive} : {package.credit}, {package.family}, {package.covers}")


@translate.command("prefer")
@click.argument("from_code")
@click.argument("to_code")
@click.argument("name", required=False)
@click.option("--clear", is_flag=True, help="forget the preference for this pair")
@with_appcontext
def translate_prefer(from_code, to_code, name, clear):
    """Prefer the package NAME for the pair FROM TO when several can translate it."""
    from kiosk.translation import packages, routes

    if clear:
        routes.prefer(_packages_dir(), from_code, to_code, None)
        click.echo(f"no preference for {from_code} -> {to_code}")
        return
    choices = routes.candidates(from_code, to_code, packages.installed(_packages_dir()))
    if not name or name not in {p.name for p in choices}:
        names = ", ".join(p.name for p in choices) or "none is installed"
        raise click.ClickException(f"name a package that translates {from_code} -> {to_code}: {names}")
    routes.prefer(_packages_dir(), from_code, to_code, name)
    click.echo(f"{name} is preferred for {from_code} -> {to_code}")


@translate.command("coverage")
@with_schema
def translate_coverage():
    """Each Handbook language (and any other a case used) to and from English: by what, or where to get it."""
    from kiosk.translation import coverage

    with get_database().sessions() as session:
        used = set(session.scalars(select(Case.language).distinct()))
    rows = coverage.coverage(_packages_dir(), used)
    width, names = max(len(r.to_english.summary) for r in rows), max(len(r.name) for r in rows)
    click.echo(f"{'language':{names + 8}}  {'to English':{width}}  from English")
    for row in rows:
        click.echo(f"{row.code:8}{row.name:{names}}  {row.to_english.summary:{width}}  {row.from_english.summary}")
    missing = [(row, d) for row in rows for d in (row.to_english, row.from_english) if d.route is None]
    if missing:
        click.echo("\nWhere to get what is missing (convert on a machine with internet: kiosk/translation/FORMAT.md):")
        if coverage.one_model_covers_the_rest(rows):
            click.echo("  facebook/m2m100_418M (MIT) alone covers every missing direction above.")
    for row, direction in missing:
        click.echo(f"  {direction.source} -> {direction.target} ({row.name}):")
        for place in direction.where_to_get:
            click.echo(f"    {place}")


@translate.command("text")
@click.option("--from", "source", required=True)
@click.option("--to", "target", required=True)
@with_appcontext
def translate_text(source, target):
    """Translate standard input to standard output, to check a package."""
    from kiosk.translation.engine import Engine

    result = Engine.from_config(current_app.config["KIOSK"]).translate(
        sys.stdin.read(), source, target)
    if result.text is None:
        raise click.ClickException(f"no package for {source} -> {target} (nor through English): "
                                   "see kioskctl translate coverage")
    click.echo(result.text, nl=False)
    click.echo(f"\n[{result.made_by}]" if result.made_by else "", err=True)


@translate.command("interpreter-list")
@with_schema
def translate_interpreter_list():
    """What waits for a person, as the console's Interpreting page lists it: per language, oldest first."""
    from kiosk.core import interpreting

    with get_database().sessions() as session:
        rows = interpreting.waiting(session)
        for _language, group in interpreting.by_language(rows):
            for row in group:
                asked = "not asked of anyone yet"
                if row.request is not None:
                    whom = (row.request.interpreter.display_name if row.request.interpreter_id
                            else f"telephone service ref {row.request.vendor_reference}")
                    asked = f"asked of {whom}, due {row.request.due_at:%Y-%m-%d %H:%M} UTC"
                click.echo(f"{row.case_number}  {row.language:8} {row.facility_code:6} {row.kind:9} "
                           f"since {row.since:%Y-%m-%d %H:%M} UTC  {asked}")
        if not rows:
            click.echo("nothing waits for an interpreter")


@translate.command("download")
@click.argument("from_code")
@click.argument("to_code")
@click.option("--timeout", default=10, show_default=True, help="seconds to wait for the network")
@with_appcontext
def translate_download(from_code, to_code, timeout):
    """Fetch a package from the public Argos index (needs the [argos] extra and a network)."""
    import socket

    try:
        from argostranslate import package as argos_package
    except ImportError:
        raise click.ClickException("downloading needs the optional extra: pip install 'kiosk[argos]'") from None
    from kiosk.translation import packages

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        argos_package.update_package_index()
        wanted = [p for p in argos_package.get_available_packages()
                  if p.from_code == from_code and p.to_code == to_code]
        if not wanted:
            raise click.ClickException(f"the Argos index has no package for {from_code} -> {to_code}")
        archive = Path(wanted[0].download())
    except click.ClickException:
        raise
    except Exception as error:
        raise click.ClickException(f"could not reach the Argos package index: {error.__class__.__name__}") from None
    finally:
        socket.setdefaulttimeout(previous)
    try:
        installed = packages.install(archive, _packages_dir())
    except packages.PackageError as error:
        raise click.ClickException(f"downloaded package refused: {error}") from None
    click.echo(f"installed {installed.label}")


@click.command(cls=click.Command)
@click.option("--once", is_flag=True, help="carry out what is due, then stop")
@click.option("--batch", default=16, show_default=True, help="jobs claimed at a time")
@with_schema
def worker(once, batch):
    """Carry out queued jobs (translation, outbound SMS) and look for silent kiosks until stopped."""
    import logging
    import signal
    import threading

    from kiosk.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runner = Worker(get_database(), current_app.config["KIOSK"], batch=batch)
    if once:
        runner.check_kiosks()
        while runner.run_once():
            pass
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    runner.run(stop)


@click.group("jobs", cls=AppGroup)
def jobs_group():
    """The durable job queue: counts, failed jobs, retries."""


@jobs_group.command("status")
@with_schema
def jobs_status():
    """How many jobs are queued, running, done and failed."""
    from kiosk.core import jobs

    with get_database().sessions() as session:
        counts = jobs.counts(session)
    click.echo("  ".join(f"{status}: {counts.get(status, 0)}" for status in JobStatus))


@jobs_group.command("failed")
@with_schema
def jobs_failed():
    """Jobs whose every attempt failed, newest first, with their last error."""
    from kiosk.core import jobs

    with get_database().sessions() as session:
        for job in jobs.failed(session):
            click.echo(f"{job.id}  {job.kind}  attempts {job.attempts}  {job.finished_at:%Y-%m-%d %H:%M}  {job.last_error}")


@jobs_group.command("retry")
@click.argument("job_id", type=int)
@with_schema
def jobs_retry(job_id):
    """Queue a failed job again, with a fresh set of attempts."""
    from kiosk.core import jobs

    with get_database().transaction() as session:
        if not jobs.retry(session, job_id):
            raise click.ClickException(f"job {job_id} is not a failed job")
    click.echo(f"job {job_id} queued again")


@click.group(cls=AppGroup)
def patterns():
    """Patterns across facilities: rate-jump alerts and similar complaints (run daily by the worker)."""


@patterns.command("find")
@with_schema
def patterns_find():
    """Look for rate jumps and similar complaints now, as the daily job does."""
    from kiosk.core import patterns_job
    from kiosk.core.models import utcnow

    with get_database().transaction() as session:
        found = patterns_job.run(session, utcnow(), actor="cli")
    alerts, groups = found.alerts, found.groups
    click.echo(f"rate alerts: {alerts.looked} facility-category pairs looked at, {alerts.raised} raised, "
               f"{alerts.extended} brought up to date")
    click.echo(f"similar complaints: {groups.read} cases read in English, {groups.new_groups} groups suggested "
               f"({groups.grouped} cases), {groups.joined} cases added to groups")


@click.group(cls=AppGroup)
def staff():
    """Staff accounts."""


@staff.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="the person's full name")
@click.option("--role", type=click.Choice([role.value for role in StaffRole]), required=True)
@click.option("--facility", "facility_codes", multiple=True, help="facility code a case manager works (repeat)")
@click.password_option(help="12 to 256 characters; asked for when not given")
@with_schema
def staff_create(username, display_name, role, facility_codes, password):
    """Create a staff account."""
    from kiosk.core import staff_accounts

    try:
        with get_database().transaction() as session:
            staff_accounts.create(session, current_app.extensions["secret_hasher"], username=username,
                                  display_name=display_name, role=role, password=password,
                                  facility_codes=list(facility_codes), actor="cli")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {role.replace('_', ' ')} {username}")


for _command in (db, facility, kiosk, demo, translate, worker, jobs_group, patterns, staff):
    main.add_command(_command)

if __name__ == "__main__":
    main()
