"""Headers every response carries (no inline scripts, no framing, no sniffing, no caching), and CSRF.

CSRF is Flask-WTF's CSRFProtect as it comes: every POST of every surface carries
the session's token, except the SMS webhooks, which Twilio signs instead.
"""
from __future__ import annotations

from flask import request
from flask_wtf.csrf import CSRFProtect, generate_csrf
from markupsafe import Markup

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "media-src 'self' blob:",  # a recording is heard back from the browser's memory before it is sent
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# On every response. No view sets any of them, so they are added, not merged with what is there.
HEADERS = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
]
# The kiosk's own pages may use its microphone: a complaint can be said aloud (kiosk/detainee/speaking.py).
KIOSK_PERMISSIONS = "camera=(), microphone=(self), geolocation=()"


def csrf_field() -> Markup:
    """The hidden CSRF input, the one way every form of every template writes its token."""
    return Markup('<input name="csrf_token" type="hidden" value="%s">') % generate_csrf()


# No page is kept by the browser or a proxy: the kiosk is shared, and the console shows cases.
# Static files say how long they may be kept (Cache-Control from send_file), so they keep theirs.
HEADERS_NEVER_CACHED = HEADERS + [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def _add_headers(response):
    response.headers.extend(HEADERS if "Cache-Control" in response.headers else HEADERS_NEVER_CACHED)
    if request.path.startswith("/kiosk/"):
        response.headers["Permissions-Policy"] = KIOSK_PERMISSIONS
    return response


def init_app(app) -> None:
    csrf.init_app(app)
    app.add_template_global(csrf_field)
    app.after_request(_add_headers)
