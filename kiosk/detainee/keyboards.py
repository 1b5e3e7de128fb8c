"""The on-screen keyboard's layouts in the page, and the generated tables its composing layouts load.

A table's address carries a hash of its content, so a browser may keep it for a year: the
Chinese dictionary is fetched once per kiosk, not once per person.
"""
from __future__ import annotations

import hashlib
import json

from flask import abort, current_app, request, send_file, url_for
from markupsafe import Markup

from kiosk.detainee import blueprint
from kiosk.keyboards import GENERATED, layouts
from kiosk.web.i18n import page_language

YEAR = 365 * 24 * 3600
TABLES = layouts.tables()


def _version(name: str) -> str:
    """The table's content hash, read once per app ("missing" until `make setup` built it)."""
    versions = current_app.extensions.setdefault("kiosk_keyboard_tables", {})
    if name not in versions:
        path = GENERATED / name
        versions[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "missing"
    return versions[name]


@blueprint.app_template_global()
def keyboard_layouts() -> Markup:
    """The page language's layouts as JSON for keyboard.js, to sit in a <script type="application/json">
    (no "<" in it, so nothing can end the element early), each table with its address. Written by
    hand rather than by |tojson: in an attribute every quote would cost 6 bytes, and tojson would
    write each Devanagari or Chinese letter as a 6-byte escape."""
    found = []
    for layout in layouts.for_language(page_language().code):
        data = layout.as_json()
        if layout.table:
            data["table"] = url_for("kiosk.keyboard_table", name=layout.table, v=_version(layout.table))
        found.append(data)
    return Markup(json.dumps(found, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c"))


@blueprint.app_template_global()
def keyboard_composes_first() -> bool:
    """Whether the page language's first layout composes (Chinese pinyin): the page then loads the
    composing engine with the keyboard; other languages' keyboard.js fetches it when needed."""
    return layouts.for_language(page_language().code)[0].mode != layouts.KEYS


@blueprint.get("/keyboards/<name>")
def keyboard_table(name: str):
    if name not in TABLES or not (GENERATED / name).is_file():
        abort(404)
    path = GENERATED / name
    gzipped = GENERATED / f"{name}.gz"
    mimetype = "application/json" if name.endswith(".json") else "text/plain"
    if gzipped.is_file() and "gzip" in request.accept_encodings:
        response = send_file(gzipped, mimetype=mimetype, max_age=YEAR, conditional=True, etag=True)
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
    else:
        response = send_file(path, mimetype=mimetype, max_age=YEAR, conditional=True, etag=True)
    response.mimetype_params["charset"] = "utf-8"
    response.cache_control.immutable = True
    return response
