"""Headers every response carries (no inline scripts, no framing, no sniffing), and the CSRF field."""
from __future__ import annotations

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


def csrf_field() -> Markup:
    """The hidden CSRF input of a form; CSRFProtect checks it on every POST."""
    return Markup('<input name="csrf_token" type="hidden" value="%s">') % generate_csrf()


def init_app(app) -> None:
    app.add_template_global(csrf_field)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
