from __future__ import annotations

from flask import Blueprint

from kiosk.web.db import get_database

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    if get_database().is_reachable():
        return {"status": "ok", "database": "reachable"}, 200
    return {"status": "unavailable", "database": "unreachable"}, 503
