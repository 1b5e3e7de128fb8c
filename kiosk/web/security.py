"""Headers every response carries (no inline scripts, no framing, no sniffing), and the CSRF field."""
from __future__ import annotations

from flask import request, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# A session's signed CSRF token, by the session's raw token. Flask-WTF signs the raw token anew
# on every request; a signature made once stays valid (WTF_CSRF_TIME_LIMIT is None: the token
# lives exactly as long as the server-side session), so this process reuses it.
_SIGNED_TOKENS: dict[str, str] = {}
SIGNED_TOKENS_KEPT = 10_000


def csrf_field() -> Markup:
    """The hidden CSRF input of a form; CSRFProtect checks it on every POST."""
    raw = session.get("csrf_token")
    token = _SIGNED_TOKENS.get(raw) if raw else None
    if token is None:
        token = generate_csrf()
        if len(_SIGNED_TOKENS) >= SIGNED_TOKENS_KEPT:
            _SIGNED_TOKENS.clear()
        _SIGNED_TOKENS[session["csrf_token"]] = token
    return Markup('<input name="csrf_token" type="hidden" value="%s">') % token


# Added to every response. No view sets any of them itself, so they are added, not merged.
HEADERS = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
]


class _WithHeaders:
    """WSGI middleware: HEADERS go onto the plain list of every response's headers, on the way out.
    Added to a response's Werkzeug Headers, each constant was checked again on every request."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def start_with_headers(status, headers, exc_info=None):
            return start_response(status, headers + HEADERS, exc_info)

        return self.wsgi_app(environ, start_with_headers)


def init_app(app, csrf) -> None:
    app.add_template_global(csrf_field)

    @app.before_request
    def _check_csrf():
        # Flask-WTF's own hook works out the view's exemption before it looks at the method, on
        # every GET too; here a GET costs one set lookup. Exemptions still apply (csrf.exempt).
        if request.method in app.config["WTF_CSRF_METHODS"]:
            csrf.protect(apply_exemptions=True)

    app.wsgi_app = _WithHeaders(app.wsgi_app)
