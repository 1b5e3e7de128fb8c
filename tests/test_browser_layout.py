"""Every kiosk screen fits the kiosk's screens, in the languages with the longest and widest words.

One tab per language walks the whole flow (file a complaint through its emergency screen, then
follow it and add a message); on every screen the viewport takes each of the three sizes in turn
and the test checks what a person would see: the bar with Back and Finish, the screen's primary
action in sight without scrolling, nothing wider than the screen, and on the words pages the
text box, the keyboard and the button all at once. A screen that does not fit leaves a
screenshot in test-artifacts/.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.helpers import tap_protection_answers, translated

pytestmark = pytest.mark.browser

SIZES = {"1280x800": (1280, 800), "1024x768": (1024, 768), "1080x1920": (1080, 1920)}
LANGUAGES = ["es", "ar", "zh_Hans", "bn", "vi"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
EVERY_SCREENSHOT = bool(os.environ.get("KIOSK_LAYOUT_SCREENSHOTS"))  # =1 keeps them all, to look at

# What must be in sight on each screen (besides the bar's Back and Finish), by the URL's end.
PRIMARY = [
    (r"/kiosk/$", [".language"]),
    (r"/home$", [".choice"]),
    (r"/file/who$", [".keypad-form .button.primary", "form.or .button", ".keypad .key"]),
    (r"/file/category$", ["button.choice"]),
    (r"/file/question/\w+$", ["button.choice"]),
    (r"/file/emergency", [".actions .button.primary"]),
    (r"/file/pin(-again)?$", [".keypad-form .button.primary", ".keypad .key"]),
    (r"/file/words$", ["textarea#words", "#keyboard .key", ".words-form .button.primary"]),
    (r"/file/protection/\w+$", ["button.choice"]),
    (r"/file/review$", ["form.send .button"]),
    (r"/receipt$", ["main > .button.primary", ".case-number"]),
    (r"/track$", [".keypad-form .button.primary", ".keypad .key"]),
    (r"/track/pin$", [".keypad-form .button.primary", ".keypad .key"]),
    (r"/case/[^/]+$", ["main > .button.primary"]),
    (r"/case/[^/]+/message$", ["textarea#words", "#keyboard .key", ".words-form .button.primary"]),
]

MEASURE = """(selectors) => {
  const inSight = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 &&
      r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5;
  };
  const wide = [...document.querySelectorAll('main *, .bar *')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && (r.right > innerWidth + 1 || r.left < -1);
  }).map((el) => el.tagName.toLowerCase() + '.' + el.className);
  const missing = selectors.filter((s) => {
    const all = [...document.querySelectorAll(s)];
    return !all.length || !all.every(inSight);
  });
  for (const s of ['.bar .finish']) if (!inSight(document.querySelector(s))) missing.push(s);
  const back = document.querySelector('.bar .back');
  if (back && !inSight(back)) missing.push('.bar .back');
  return {missing, wide: wide.slice(0, 5), scrollX: document.documentElement.scrollWidth > innerWidth,
          scrolled: scrollY};
}"""


def check_screen(page, language, problems):
    """The current screen at every size; what does not fit is added to problems."""
    path = re.sub(r"\?.*$", "", page.url)
    selectors = next(s for pattern, s in PRIMARY if re.search(pattern, path))
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        found = page.evaluate(MEASURE, selectors)
        failed = found["missing"] or found["wide"] or found["scrollX"]
        if failed or EVERY_SCREENSHOT:
            ARTIFACTS.mkdir(exist_ok=True)
            screen = re.sub(r"[^\w-]+", "-", path.rsplit("/kiosk", 1)[-1].strip("/")) or "start"
            shot = ARTIFACTS / f"{language}-{screen}-{name}.png"
            page.screenshot(path=str(shot))
        if failed:
            problems.append(f"{language} {path} at {name}: not in sight {found['missing']}, "
                            f"too wide {found['wide']} (screenshot {shot.name})")


def tap_digits(page, digits):
    for digit in digits:
        page.locator(f".keypad [data-key='{digit}']").tap()


def next_screen(page):
    page.locator("form.keypad-form button[type=submit]").tap()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screen_fits_every_kiosk_screen(page, live, language):
    problems: list[str] = []
    page.goto(f"{live.url}/kiosk/")
    check_screen(page, language, problems)
    page.goto(f"{live.url}/kiosk/language/{language}")
    page.wait_for_url("**/home")
    check_screen(page, language, problems)
    page.locator(".choice").first.tap()
    page.wait_for_url("**/file/who")
    check_screen(page, language, problems)
    tap_digits(page, "201234567")
    next_screen(page)
    page.wait_for_url("**/file/category")
    check_screen(page, language, problems)
    page.locator("button.choice[value=safety]").tap()
    for key, answer in (("safety_kind", "staff_violence"), ("urgent", "yes")):
        page.wait_for_url(f"**/file/question/{key}")
        check_screen(page, language, problems)
        page.locator(f"button.choice[value={answer}]").tap()
    page.wait_for_url("**/file/emergency*")
    check_screen(page, language, problems)
    page.locator(".actions .button.primary").tap()
    for key, answer in (("since", "today"), ("raised_with_facility", "not_yet")):
        page.wait_for_url(f"**/file/question/{key}")
        check_screen(page, language, problems)
        page.locator(f"button.choice[value={answer}]").tap()
    for step in ("pin", "pin-again"):
        page.wait_for_url(f"**/file/{step}")
        check_screen(page, language, problems)
        tap_digits(page, "2468")
        next_screen(page)
    page.wait_for_url("**/file/words")
    page.locator("#keyboard .key[data-k]").first.wait_for()
    check_screen(page, language, problems)
    page.locator(".words-form button[type=submit]").tap()
    tap_protection_answers(page, on_each_screen=lambda: check_screen(page, language, problems))
    check_screen(page, language, problems)
    page.locator("form.send button").tap()
    page.wait_for_url("**/receipt")
    check_screen(page, language, problems)
    number = page.locator(".case-number").first.inner_text()

    page.goto(f"{live.url}/kiosk/finish")
    page.goto(f"{live.url}/kiosk/language/{language}")
    page.goto(f"{live.url}/kiosk/track")
    check_screen(page, language, problems)
    tap_digits(page, number.replace("-", ""))
    next_screen(page)
    page.wait_for_url("**/track/pin")
    check_screen(page, language, problems)
    tap_digits(page, "2468")
    next_screen(page)
    page.wait_for_url(f"**/case/{number}")
    check_screen(page, language, problems)
    page.goto(f"{live.url}/kiosk/case/{number}/message")
    page.locator("#keyboard .key[data-k]").first.wait_for()
    check_screen(page, language, problems)
    assert translated(language, "Finish") in page.locator(".bar .finish").inner_text()
    assert not problems, "\n".join(problems)
