"""Every kiosk page stays under 40 KB on a first visit, in every language.

A page's weight is what a browser with an empty cache downloads to show it: the HTML, and every
same-origin stylesheet, script and image it references (an SVG <use> too, a stylesheet's own
url() and @import), uncompressed as the kiosk serves them. The on-screen keyboard's table that
keyboard.js fetches as it first draws counts too, except the Chinese dictionary: it is fetched
once per kiosk and cached for a year, and is measured on its own (bench/kiosk_pages.py
--weight-only, bench/keyboard_input.py). What the page fetches only later (phonetic Hindi's
engine, on the first switch to it) is not part of a first visit.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from kiosk.core import languages
from kiosk.keyboards import layouts
from tests.helpers import enrolled_kiosk

BUDGET = 40 * 1024
CHINESE_DICTIONARY = "pinyin-dict.txt"
CSS_REFERENCE = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


class References(HTMLParser):
    """What a browser fetches for a page, and the on-screen keyboard's layouts (#keyboard-layouts)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.keyboard_layouts: list[dict] = []
        self._in_layouts = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        rel = (a.get("rel") or "").lower().split()
        if tag == "link" and {"stylesheet", "icon", "preload", "modulepreload"} & set(rel) and a.get("href"):
            self.found.append(a["href"])
        elif tag in ("script", "img", "iframe") and a.get("src"):
            self.found.append(a["src"])
        elif tag in ("audio", "video", "source") and a.get("src") and a.get("preload") != "none":
            self.found.append(a["src"])  # fetched (at least its start) as the page loads
        elif tag in ("use", "image") and (a.get("href") or a.get("xlink:href")):
            self.found.append(a.get("href") or a.get("xlink:href"))
        self._in_layouts = a.get("id") == "keyboard-layouts"

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        if self._in_layouts:
            self.keyboard_layouts = json.loads(data)
            self._in_layouts = False


@dataclass
class Weight:
    page: str
    html: int
    assets: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.html + sum(self.assets.values())

    def __str__(self) -> str:
        parts = ", ".join(f"{path.split('?')[0]} {size}" for path, size in sorted(self.assets.items()))
        return f"{self.page}: {self.total} B = HTML {self.html} + {parts}"


class Scale:
    """Weighs the pages a kiosk browser is shown, fetching each asset once."""

    def __init__(self, client):
        self.client = client
        self.bodies: dict[str, bytes] = {}
        self.weights: list[Weight] = []

    def _fetch(self, path: str) -> bytes:
        if path not in self.bodies:
            response = self.client.get(path)
            assert response.status_code == 200, f"{path}: {response.status_code}"
            self.bodies[path] = response.get_data()
        return self.bodies[path]

    def _same_origin(self, reference: str, base: str) -> str | None:
        url, _fragment = urldefrag(urljoin(f"http://localhost{base}", reference.strip()))
        parts = urlsplit(url)
        assert parts.scheme in ("http", "data"), f"{base} references {reference}"
        assert parts.scheme == "data" or parts.netloc == "localhost", f"{base} references another host: {reference}"
        return None if parts.scheme == "data" else parts.path + (f"?{parts.query}" if parts.query else "")

    def weigh(self, page: str, response, path: str) -> Weight:
        """The page the response shows, which must be the one at path."""
        assert (response.status_code, response.request.path) == (200, path), f"{page}: {response.status_code} " \
            f"at {response.request.path}, not {path}"
        html = response.get_data()
        references = References()
        references.feed(html.decode("utf-8"))
        pending = [(reference, path) for reference in references.found]
        # keyboard.js fetches its first layout's table as it draws the keys.
        first = references.keyboard_layouts[0] if references.keyboard_layouts else {}
        if first.get("table") and CHINESE_DICTIONARY not in first["table"]:
            pending.append((first["table"], path))
        weight = Weight(page, len(html))
        while pending:
            reference, base = pending.pop(0)
            asset = self._same_origin(reference, base)
            if asset is None or asset in weight.assets:
                continue
            body = self._fetch(asset)
            weight.assets[asset] = len(body)
            if urlsplit(asset).path.endswith(".css"):
                pending += [(m.group(2) or m.group(4), asset) for m in CSS_REFERENCE.finditer(body.decode("utf-8"))]
        self.weights.append(weight)
        return weight


def walk(kiosk, language: str) -> list[Weight]:
    """Every screen of a filing and of following it, in one language."""
    scale = Scale(kiosk.client)
    scale.weigh("language", kiosk.get("/kiosk/"), "/kiosk/")
    scale.weigh("home", kiosk.choose_language(language), "/kiosk/home")
    scale.weigh("who", kiosk.get("/kiosk/file", follow_redirects=True), "/kiosk/file/who")
    scale.weigh("category", kiosk.post("/kiosk/file/who", {"a_number": "201234567"}, follow_redirects=True),
                "/kiosk/file/category")
    scale.weigh("question", kiosk.post("/kiosk/file/category", {"choice": "medical"}, follow_redirects=True),
                "/kiosk/file/question/urgent")
    scale.weigh("emergency", kiosk.post("/kiosk/file/question/urgent", {"choice": "yes"}, follow_redirects=True),
                "/kiosk/file/emergency")
    kiosk.post("/kiosk/file/question/since", {"choice": "today"})
    scale.weigh("pin", kiosk.post("/kiosk/file/question/raised_with_facility", {"choice": "told_staff"},
                                  follow_redirects=True), "/kiosk/file/pin")
    scale.weigh("pin again", kiosk.post("/kiosk/file/pin", {"pin": "2468"}, follow_redirects=True),
                "/kiosk/file/pin-again")
    scale.weigh("words", kiosk.post("/kiosk/file/pin-again", {"pin": "2468"}, follow_redirects=True),
                "/kiosk/file/words")
    scale.weigh("may name", kiosk.post("/kiosk/file/words", {"description": "words"}, follow_redirects=True),
                "/kiosk/file/protection/may_name")
    scale.weigh("fears retaliation", kiosk.post("/kiosk/file/protection/may_name", {"choice": "no"},
                                                follow_redirects=True), "/kiosk/file/protection/fears_retaliation")
    scale.weigh("review", kiosk.post("/kiosk/file/protection/fears_retaliation", {"choice": "yes"},
                                     follow_redirects=True), "/kiosk/file/review")
    scale.weigh("receipt", kiosk.post("/kiosk/file/review", {"submission": kiosk.submission_token()},
                                      follow_redirects=True), "/kiosk/receipt")
    kiosk.get("/kiosk/finish")
    kiosk.choose_language(language)
    scale.weigh("track", kiosk.get("/kiosk/track"), "/kiosk/track")
    scale.weigh("track pin", kiosk.post("/kiosk/track", {"identifier": "201234567"}, follow_redirects=True),
                "/kiosk/track/pin")
    case = kiosk.post("/kiosk/track/pin", {"pin": "2468"}, follow_redirects=True)
    number = case.request.path.rsplit("/", 1)[-1]
    scale.weigh("case", case, f"/kiosk/case/{number}")
    scale.weigh("message", kiosk.get(f"/kiosk/case/{number}/message"), f"/kiosk/case/{number}/message")
    return scale.weights


@pytest.mark.parametrize("language", sorted(languages.BY_CODE))
def test_every_kiosk_page_is_under_40_kb_on_a_first_visit(app, place, language):
    weights = walk(enrolled_kiosk(app), language)
    heaviest = max(weights, key=lambda w: w.total)
    over = [str(w) for w in weights if w.total >= BUDGET]
    assert not over, f"{language}: {len(over)} pages of {BUDGET} B or more; heaviest {heaviest}\n" + "\n".join(over)


def test_only_the_chinese_keyboard_loads_the_dictionary():
    """The one table left out of the weights above: on no other language's page."""
    loading = {code for code in languages.BY_CODE
               if layouts.for_language(code)[0].table == CHINESE_DICTIONARY}
    assert loading == {"zh_Hans"}
