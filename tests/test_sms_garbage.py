"""Anything at all in a signed webhook: never a 5xx, never an exception in the log."""
from __future__ import annotations

import itertools
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core import text
from kiosk.core.languages import LANGUAGES
from sms.commands import parse
from tests.helpers import FAMILY, Phone, fits_two_segments

ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)  # NUL and controls included
FIELDS = st.dictionaries(
    st.sampled_from(["MessageSid", "From", "To", "Body", "NumMedia", "MessageStatus", "ErrorCode", "Extra"]),
    st.one_of(ANY_TEXT, st.text(alphabet=st.characters(codec="utf-8"), min_size=2000, max_size=5000),
              st.just(""), st.sampled_from(["STATUS 26-1234-5678 12345678", "LANG ar", "STOP", "حالة", "状态"])),
    max_size=8,
)
# Hypothesis runs every example in the same app: each gets a number never seen, so no example
# inherits another's language, opt-out or lockout.
NEW_NUMBERS = (f"+1512{n:07d}" for n in itertools.count(5_550_000))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=FIELDS)
def test_signed_garbage_never_breaks_the_webhooks(sms_app, caplog, params):
    phone = Phone(sms_app, FAMILY)
    with caplog.at_level(logging.ERROR):
        for path in ("/sms/twilio", "/sms/twilio/status"):
            response = phone.post(path, params)
            assert response.status_code < 500, (path, params)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(language=st.sampled_from([language.code for language in LANGUAGES]), body=st.text(max_size=2000))
def test_any_body_in_any_language_gets_an_answer_in_two_segments_or_silence_after_stop(sms_app, language, body):
    """A reply in a non-Latin script goes out as UCS-2: two segments are then 134 UTF-16 code units,
    not 306 characters."""
    phone = Phone(sms_app, next(NEW_NUMBERS))
    chosen = phone.text(f"LANG {language}")
    assert chosen is not None and fits_two_segments(chosen), chosen
    reply = phone.text(body)
    if parse(text.clean(body, limit=None)).name == "STOP":  # the words the webhook reads
        assert reply is None  # Twilio and the carrier confirm an opt-out themselves
    else:
        assert reply is not None and fits_two_segments(reply), (body, reply)
