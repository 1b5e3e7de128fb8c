"""The Open311 export (/staff/open311/): GeoReport v2 ``services.json`` and ``requests.json`` of
de-identified cases (kiosk/core/open311.py), for tools that read civic request data.

It answers as the spec's servers do: JSON, and every error (a bad argument, a refusal, an address
that is not there) as the spec's list of errors, ``[{"code": 400, "description": "..."}]``, never a
console page. A person exports the facilities they work (supervisors every one); every export of
requests is audited with its filters and how many it held.
"""
from __future__ import annotations

import json

from flask import Response, g, request, url_for
from werkzeug.exceptions import HTTPException

from kiosk.core import audit, open311, staff_accounts
from kiosk.core.db import plan_for_these_values
from kiosk.staff import blueprint
from kiosk.staff.changes import actor
from kiosk.web.db import get_session
from kiosk.web.errors import shows_errors


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    # ASCII with \u escapes: valid UTF-8 whatever a stored text holds, and every JSON reader decodes it.
    return Response(json.dumps(body, indent=1), status=status, mimetype="application/json",
                    headers={"Cache-Control": "no-store", **(headers or {})})


def _error(code: int, description: str) -> Response:
    return _json([{"code": code, "description": description}], status=code)


@shows_errors("/staff/open311")
def _problem(error: HTTPException):
    return _error(error.code or 500, error.description or "")


@blueprint.get("/open311/services.json")
def open311_services():
    return _json(open311.services())


@blueprint.get("/open311/requests.json")
def open311_requests():
    try:
        query = open311.parse({name: request.args.getlist(name) for name in open311.PARAMETERS})
    except open311.BadParameter as bad:
        return _error(400, str(bad))
    db = get_session()
    plan_for_these_values(db)  # a period of a day or of ten years
    page = open311.service_requests(db, query, staff_accounts.facility_ids(g.staff))
    audit.record(db, actor(), "open311.exported", remote_addr=request.remote_addr, **query.as_audit(),
                 count=len(page.requests))
    db.commit()
    headers = {}
    if page.more:  # RFC 8288, which generic HTTP tools follow to fetch every page
        following = {name: ",".join(request.args.getlist(name)) for name in open311.PARAMETERS
                     if name in request.args and name != "page"}
        headers["Link"] = f'<{url_for("staff.open311_requests", **following, page=query.page + 1)}>; rel="next"'
    return _json(page.requests, headers=headers)
