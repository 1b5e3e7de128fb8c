"""The database as a request sees it: one ORM session per request, closed when the request ends."""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from kiosk.core.db import Database


def init_app(app: Flask, database: Database) -> None:
    app.extensions["database"] = database
    app.teardown_appcontext(_close_session)


def get_database() -> Database:
    return current_app.extensions["database"]


def get_session() -> Session:
    """The request's session; views commit it explicitly when their change is complete."""
    if "db_session" not in g:
        g.db_session = get_database().sessions()
    return g.db_session


def _close_session(_exc) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
