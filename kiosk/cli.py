"""kioskctl: Flask's own commands (run, shell, routes) plus the product's."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, NoAppException, with_appcontext
from sqlalchemy import select

from kiosk import create_app, kiosks, migrate
from kiosk.config import ConfigError
from kiosk.db import get_database
from kiosk.models import Facility, HousingUnit, Kiosk


def _create_app():
    try:
        return create_app()
    except ConfigError as error:
        raise NoAppException(str(error)) from None  # Flask prints it as one line, no traceback


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """Manage the complaint kiosk: database, kiosks, demo data, and the server."""


def init_app(app) -> None:
    """The product's commands hang off the app, so `kioskctl` and test runners both see them."""
    for command in (db, facility, kiosk, demo):
        app.cli.add_command(command)


def _url() -> str:
    return current_app.config["KIOSK"].database_url


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


@click.group(cls=AppGroup)
def facility():
    """Facilities and their housing units."""


@facility.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--timezone", default="America/New_York", show_default=True)
@with_appcontext
def facility_add(code, name, timezone):
    with get_database().transaction() as session:
        if session.scalar(select(Facility).where(Facility.code == code)):
            raise click.ClickException(f"facility {code} already exists")
        session.add(Facility(code=code, name=name, timezone=timezone))
    click.echo(f"added facility {code}")


@facility.command("add-unit")
@click.argument("code")
@click.argument("unit")
@with_appcontext
def facility_add_unit(code, unit):
    with get_database().transaction() as session:
        found = session.scalar(select(Facility).where(Facility.code == code))
        if found is None:
            raise click.ClickException(f"no facility {code}")
        session.add(HousingUnit(facility_id=found.id, name=unit))
    click.echo(f"added housing unit {unit} to {code}")


@click.group(cls=AppGroup)
def kiosk():
    """Registered kiosks."""


def enrollment_url(token: str) -> str:
    return f"{current_app.config['KIOSK'].public_url}/kiosk/enroll/{token}"


@kiosk.command("register")
@click.option("--facility", "facility_code", required=True, help="facility code, e.g. RBP")
@click.option("--unit", required=True, help="housing unit name, e.g. A-1")
@click.option("--label", default=None, help="a name to recognise the device by")
@with_appcontext
def kiosk_register(facility_code, unit, label):
    """Register a kiosk and print its one-time enrollment URL (valid 24 hours)."""
    with get_database().transaction() as session:
        try:
            place = kiosks.find_unit(session, facility_code, unit)
        except kiosks.UnknownPlace as error:
            raise click.ClickException(str(error)) from None
        registered, token = kiosks.register(session, place, label or f"{facility_code} {unit}", actor="cli")
    click.echo(f"kiosk {registered.id} registered; open this URL once on the device:")
    click.echo(enrollment_url(token))


@kiosk.command("enroll-again")
@click.argument("kiosk_id", type=int)
@with_appcontext
def kiosk_enroll_again(kiosk_id):
    """Print a fresh enrollment URL for a kiosk (its current browser stops working once used)."""
    with get_database().transaction() as session:
        found = session.get(Kiosk, kiosk_id)
        if found is None:
            raise click.ClickException(f"no kiosk {kiosk_id}")
        token = kiosks.issue_enrollment(session, found, actor="cli")
    click.echo(enrollment_url(token))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="print what was made as JSON")
@click.option("--force", is_flag=True, help="load demo data even outside development")
@with_appcontext
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


if __name__ == "__main__":
    main()
