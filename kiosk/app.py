"""The complaint kiosk: an app factory that wires the surfaces to the core."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from kiosk.config import PROJECT_ROOT, Config
from kiosk.core import languages
from kiosk.core.credentials import SecretHasher
from kiosk.core.db import Database
from kiosk.core.models import CaseStatus, Channel, EventKind, StaffRole, Submitter, TranslationStatus
from kiosk.web import db, errors, i18n, inputs, security
from kiosk.web.sessions import ServerSessionInterface, Surface
from kiosk.web.templating import LocalizedEnvironment


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(
        __name__,
        instance_path=str(config.instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=None,
    )
    app.jinja_environment = LocalizedEnvironment  # before anything creates app.jinja_env
    app.config.update(
        SECRET_KEY=config.secret_key,
        TESTING=config.testing,
        KIOSK=config,
        BABEL_TRANSLATION_DIRECTORIES=str(i18n.CATALOGS_DIR),
        BABEL_DEFAULT_LOCALE=languages.DEFAULT,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives exactly as long as the server-side session
        WTF_CSRF_SSL_STRICT=False,  # same-site cookies already stop cross-site posts behind TLS proxies
        WTF_I18N_ENABLED=False,  # our forms carry their own translated messages
        MAX_CONTENT_LENGTH=256 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    config.instance_path.mkdir(parents=True, exist_ok=True)
    if config.proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxies, x_proto=config.proxies, x_host=config.proxies)

    database = Database(config.database_url)
    db.init_app(app, database)
    app.extensions["secret_hasher"] = SecretHasher(config)
    app.session_interface = ServerSessionInterface(
        database,
        surfaces=[
            Surface("kiosk", "/kiosk", "kiosk_session", config.kiosk_idle_timeout),
            Surface("staff", "/staff", "staff_session", timedelta(minutes=15)),
            *([Surface("dev", "/dev", "dev_session", timedelta(hours=8))] if config.development else []),
        ],
        secure=config.cookie_secure,
    )
    # Templates compare stored codes with these, never with string literals.
    app.jinja_env.globals.update(CaseStatus=CaseStatus, Channel=Channel, EventKind=EventKind, StaffRole=StaffRole,
                                 Submitter=Submitter, TranslationStatus=TranslationStatus)
    security.init_app(app)
    inputs.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)

    from kiosk.detainee import blueprint as detainee_blueprint
    from kiosk.staff import blueprint as staff_blueprint
    from kiosk.web import health
    from sms import blueprint as sms_blueprint

    app.register_blueprint(health.blueprint)
    app.register_blueprint(detainee_blueprint, url_prefix="/kiosk")
    app.register_blueprint(staff_blueprint, url_prefix="/staff")
    app.register_blueprint(sms_blueprint, url_prefix="/sms")
    security.csrf.exempt(sms_blueprint)  # Twilio signs its requests instead
    if config.development:
        from sms.simulator import blueprint as simulator_blueprint

        app.register_blueprint(simulator_blueprint, url_prefix="/dev")
    return app
