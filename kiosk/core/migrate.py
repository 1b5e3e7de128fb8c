"""Schema migrations through Alembic; the schema is never made by create_all outside tests."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from kiosk.core.db import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str) -> None:
    command.current(alembic_config(database_url), verbose=False)


def revision(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


def schema_problem(database_url: str) -> str | None:
    """Why this version cannot work with the database, in one line saying what to do; None when it can."""
    wanted = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            found = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        return f"cannot reach the database ({error.__class__.__name__}): check KIOSK_DATABASE_URL"
    finally:
        engine.dispose()
    if not found:
        return "the database has no tables yet: run `kioskctl db upgrade` first"
    if found != wanted:
        return (f"the database's schema is at revision {', '.join(sorted(found))}, this version needs "
                f"{', '.join(sorted(wanted))}: run `kioskctl db upgrade`")
    return None
