"""A test client that behaves like the kiosk's browser: it sends the CSRF token of the last page."""
from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from babel.messages.pofile import read_po

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission" type="hidden" value="([^"]*)"')


class KioskClient:
    def __init__(self, client):
        self.client = client
        self.csrf_token = None
        self.last = None

    def _remember(self, response):
        self.last = response
        if response.mimetype == "text/html":
            found = CSRF.search(response.get_data(as_text=True))
            if found:
                self.csrf_token = found.group(1)
        return response

    def get(self, path, **kwargs):
        return self._remember(self.client.get(path, **kwargs))

    def post(self, path, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf and "csrf_token" not in data and self.csrf_token:
            data["csrf_token"] = self.csrf_token
        return self._remember(self.client.post(path, data=data, **kwargs))

    @property
    def text(self) -> str:
        return self.last.get_data(as_text=True)

    def submission_token(self) -> str:
        return SUBMISSION.search(self.text).group(1)

    def choose_language(self, code):
        return self.get(f"/kiosk/language/{code}", follow_redirects=True)



@lru_cache(maxsize=None)
def _catalog(locale: str):
    with open(f"translations/{locale}/LC_MESSAGES/messages.po", "rb") as po:
        return read_po(po)


def translated(locale: str, message: str, **values) -> str:
    """The catalog's translation of a message, as the page should show it (HTML-escaped)."""
    found = _catalog(locale).get(message)
    assert found is not None and found.string, f"{message!r} is not translated into {locale}"
    return escape(found.string % values if values else found.string, quote=False)
