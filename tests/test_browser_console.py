"""The console as a case manager sees it in Chromium: every control of its header is readable."""
from __future__ import annotations

import pytest

from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

# WCAG 2's contrast ratio between a control's text and what is behind it (the first ancestor, the
# control included, whose background is not transparent), for every link and button in the header.
HEADER_CONTRAST = """() => {
  const luminance = (rgb) => {
    const [r, g, b] = rgb.match(/[\\d.]+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const opaque = (color) => !/rgba\\(.*,\\s*0\\)$/.test(color) && color !== "transparent";
  return [...document.querySelectorAll("header a, header button")].map((control) => {
    let behind = control;
    while (behind && !opaque(getComputedStyle(behind).backgroundColor)) behind = behind.parentElement;
    const back = behind ? getComputedStyle(behind).backgroundColor : "rgb(255, 255, 255)";
    const [light, dark] = [luminance(getComputedStyle(control).color), luminance(back)].sort((a, b) => b - a);
    return [control.textContent.trim(), (light + 0.05) / (dark + 0.05)];
  });
}"""


def test_every_control_in_the_console_header_is_readable(browser, live, people):
    tab = browser.new_page()
    tab.goto(f"{live.url}/staff/")
    tab.fill("#username", "chris")
    tab.fill("#password", PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/staff/")
    contrasts = dict(tab.evaluate(HEADER_CONTRAST))
    assert "Sign out" in contrasts and "Triage queue" in contrasts
    unreadable = {name: round(ratio, 2) for name, ratio in contrasts.items() if ratio < 4.5}
    assert not unreadable, f"below 4.5:1 (WCAG AA): {unreadable}"
    tab.close()
