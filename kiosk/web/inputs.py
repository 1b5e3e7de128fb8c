"""What every request must satisfy before a view sees it, and row ids read from requests.

PostgreSQL text cannot hold a NUL character, and nothing a person types contains
one: on the kiosk and the console, a request carrying one anywhere (its path,
query or form) is refused with 400 before any view runs, the same on both
databases. Row ids
come from the path (``<id:name>``) or a form (``form_id``); a number no column
can hold is simply not found.
"""
from __future__ import annotations

from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # an INTEGER column on PostgreSQL


class UnstorableInput(BadRequest):
    description = "The request holds a NUL character, which no form or address may contain. Nothing was saved."


class RowId(IntegerConverter):
    """``<id:name>``: a positive whole number a database id column can hold; anything else is 404.
    At most 10 digits are matched: Python refuses to read a number of more than 4,300 digits, which
    would otherwise be a 500 before the range is checked."""

    regex = r"\d{1,10}"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


def form_id(name: str) -> int | None:
    """The row id a form field names, or None when it names none (missing, not a number, too large)."""
    raw = request.form.get(name, "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_ID))):
        return None
    return int(raw) if 0 < int(raw) <= MAX_ID else None


def refuse_nul() -> None:
    """A before_request hook of each surface that takes typed input (the SMS webhook instead strips
    what no phone sends, and must always answer Twilio)."""
    # The query as sent (a NUL arrives percent-encoded, or raw) is enough to look at; a form is read
    # only when there is one.
    query = request.query_string
    if "\x00" in request.path or b"\x00" in query or b"%00" in query:
        raise UnstorableInput()
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":  # uploads check theirs
        if any("\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)):
            raise UnstorableInput()


def init_app(app) -> None:
    app.url_map.converters["id"] = RowId
