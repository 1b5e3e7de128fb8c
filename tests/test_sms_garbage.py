"""Anything at all in a signed webhook: never a 5xx, never an exception in the log."""
from __future__ import annotations

import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FAMILY, Phone

ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)  # NUL and controls included
FIELDS = st.dictionaries(
    st.sampled_from(["MessageSid", "From", "To", "Body", "NumMedia", "MessageStatus", "ErrorCode", "Extra"]),
    st.one_of(ANY_TEXT, st.text(alphabet=st.characters(codec="utf-8"), min_size=2000, max_size=5000),
              st.just(""), st.sampled_from(["STATUS 26-1234-5678 12345678", "LANG ar", "STOP", "حالة", "状态"])),
    max_size=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=FIELDS)
def test_signed_garbage_never_breaks_the_webhooks(sms_app, caplog, params):
    phone = Phone(sms_app, FAMILY)
    with caplog.at_level(logging.ERROR):
        for path in ("/sms/twilio", "/sms/twilio/status"):
            response = phone.post(path, params)
            assert response.status_code < 500, (path, params)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(max_size=2000))
def test_any_body_from_any_number_gets_an_answer_or_silence(sms_app, body):
    phone = Phone(sms_app, FAMILY)
    reply = phone.text(body)
    assert reply is None or len(reply) <= 2 * 153
