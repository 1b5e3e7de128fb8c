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


# Added to every response. No view sets any of them itself, so they are added, not merged:
# Werkzeug's setdefault scans the headers once per name, and five of them cost 15 us a request.
HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def init_app(app, csrf) -> None:
    app.add_template_global(csrf_field)

    @app.before_request
    def _check_csrf():
        # Flask-WTF's own hook works out the view's exemption before it looks at the method, on
        # every GET too; here a GET costs one set lookup. Exemptions still apply (csrf.exempt).
        if request.method in app.config["WTF_CSRF_METHODS"]:
            csrf.protect(apply_exemptions=True)

    @app.after_request
    def _headers(response):
        response.headers.extend(HEADERS)
        return response
