"""What a person sees when a request goes wrong: a page of the surface they are on, never a trace.

Each surface registers the page it shows for an error (``shows_errors``); this
module picks it by the request's path, so an address that matches no view gets
the same page as one that does. Outside a surface (the SMS webhooks, /healthz)
Werkzeug's short answer stands. An unexpected exception is a 500 page of the
surface (when Flask propagates exceptions, in tests, it is raised instead).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import request
from werkzeug.exceptions import HTTPException

ErrorPage = Callable[[HTTPException], object]
_PAGES: dict[str, ErrorPage] = {}


def shows_errors(path_prefix: str) -> Callable[[ErrorPage], ErrorPage]:
    """Registers the function that renders every error under ``path_prefix`` (e.g. "/kiosk")."""

    def register(page: ErrorPage) -> ErrorPage:
        _PAGES[path_prefix] = page
        return page

    return register


def _error_page(error: HTTPException):
    # The longest prefix that matches: a part of a surface (its JSON export) can answer in its own way.
    for prefix, page in sorted(_PAGES.items(), key=lambda item: -len(item[0])):
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return page(error)
    return error


def init_app(app) -> None:
    app.register_error_handler(HTTPException, _error_page)  # an unexpected exception arrives as a 500 one
