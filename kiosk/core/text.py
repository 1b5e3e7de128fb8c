"""Text people type: the one place it is cleaned and its length checked.

Control characters no keyboard types are dropped (a tab and line breaks stay in
free text; a name or a label becomes one line with single spaces); everything
else, bidirectional marks included, is kept exactly as typed and isolated when
shown. Text longer than its limit is refused, never cut short: the person is
told, and nothing is stored half.
"""
from __future__ import annotations

# What a case manager writes in one of the console's text areas (a note, a reply, a correction,
# a facility's answer); the forms say the same with maxlength.
MAX_STAFF_TEXT = 5000

# C0 controls and DEL; tab and line feed are kept in free text.
_CONTROLS = {code: None for code in (*range(32), 127) if chr(code) not in "\t\n"}


class TextRefused(ValueError):
    """The text is empty where something is needed, or too long. ``reason`` is "empty" or
    "too_long"; the message is the staff's English, a surface in another language words its own."""

    def __init__(self, reason: str, what: str, limit: int):
        self.reason, self.limit = reason, limit
        super().__init__(f"Write the {what}." if reason == "empty" else
                         f"The {what} has at most {limit:,} characters.")


def clean(text: str | None, *, limit: int | None, what: str = "text", one_line: bool = False,
          required: bool = False) -> str:
    """The text as it is stored, or TextRefused saying why it cannot be. ``limit`` None: no bound of
    its own (a text message, which Twilio already bounds)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)
    text = " ".join(text.split()) if one_line else text.strip()
    if required and not text:
        raise TextRefused("empty", what, limit)
    if limit is not None and len(text) > limit:
        raise TextRefused("too_long", what, limit)
    return text
