"""The SMS surface: Twilio's webhooks, for family members and lawyers on ordinary phones.

No cookie, no session: every request is signed by Twilio or refused.
"""
from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("sms", __name__)

from sms import webhook  # noqa: E402,F401  (registers the views)
