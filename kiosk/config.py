"""Typed, frozen configuration read once from the environment.

Everything the product can be told lives here, so there is one place to read
what a deployment may set (the README documents each variable).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# A kiosk silent for a week is long past noticing; the bound also keeps a huge number from overflowing.
MAX_SILENT_MINUTES = 7 * 24 * 60


class ConfigError(RuntimeError):
    """The environment does not describe a runnable deployment."""


def _env_bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(environ, name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw[:40]!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum}")
    return value


def _env_seconds(environ, name: str, default: int) -> timedelta:
    return timedelta(seconds=_env_int(environ, name, default, minimum=1))


@dataclass(frozen=True)
class Config:
    secret_key: str
    database_url: str
    instance_path: Path
    env: str = "production"
    public_url: str = "http://127.0.0.1:8000"
    # Cookies carry the Secure flag everywhere but on a developer's machine.
    cookie_secure: bool = True
    kiosk_idle_timeout: timedelta = timedelta(seconds=90)
    # The number family and lawyers text (shown on the receipt); optional.
    sms_number: str | None = None
    # argon2id cost for PINs and passwords; tests lower it to stay fast.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    # Argos language packages; ARGOS_PACKAGES_DIR is honoured so argospm's installs are found.
    packages_dir: Path | None = None
    # The synthetic clips `kioskctl audio build` makes (kiosk/audio/cache.py); build output, not data.
    audio_dir: Path = PROJECT_ROOT / "kiosk" / "static" / "generated" / "audio"
    translation_beam_size: int = 4
    # "default" computes int8 models in int8 (fast, small); "float32" makes batched and
    # one-by-one translation identical at about 1.7x the time and 4x the memory.
    translation_compute_type: str = "default"
    # CTranslate2 threads per translation; 0 uses every core. On a machine shared with the
    # web processes, 1 is faster under load and leaves the kiosk its CPU.
    translation_threads: int = 0
    # Twilio: the account, and a Messaging Service or a From number to send with.
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_from_number: str | None = None
    twilio_api_url: str | None = None  # another address for Twilio's REST API (an egress proxy; tests)
    # An emergency nobody acknowledged for this long is texted to the facility's on-call phones,
    # and after as long again to the supervisors.
    emergency_escalate_after: timedelta = timedelta(minutes=15)
    # An enrolled kiosk silent this long, counted in its facility's waking hours, is shown to staff
    # as not working (kiosk/core/silent_kiosks.py).
    kiosk_silent_after: timedelta = timedelta(minutes=30)
    # How many reverse proxies (TLS terminators) stand in front; their X-Forwarded-* are trusted.
    proxies: int = 0
    testing: bool = False

    def __post_init__(self):
        # An idle kiosk talks once per idle timeout (its countdown reloads the start screen): any
        # shorter a silence would call working kiosks broken.
        if self.kiosk_silent_after < 2 * self.kiosk_idle_timeout:
            least = math.ceil(2 * self.kiosk_idle_timeout.total_seconds() / 60)
            raise ConfigError(
                f"KIOSK_SILENT_KIOSK_MINUTES is {self.kiosk_silent_after.total_seconds() / 60:g}, less than twice "
                f"KIOSK_IDLE_TIMEOUT ({self.kiosk_idle_timeout.total_seconds():g} seconds): an idle kiosk makes a "
                f"request only once per idle timeout, so set it to {least} or more")

    @property
    def language_packages(self) -> Path:
        return self.packages_dir or self.instance_path / "packages"

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token
                    and (self.twilio_messaging_service_sid or self.twilio_from_number))

    @property
    def development(self) -> bool:
        return self.env == "development"

    @classmethod
    def from_env(cls, environ=None) -> "Config":
        environ = os.environ if environ is None else environ
        env = environ.get("KIOSK_ENV", "production").strip().lower()
        if env not in {"production", "development"}:
            raise ConfigError(f"KIOSK_ENV must be 'production' or 'development', not {env!r}")
        instance_path = Path(environ.get("KIOSK_INSTANCE_PATH") or PROJECT_ROOT / "instance")
        secret_key = environ.get("KIOSK_SECRET_KEY", "")
        if not secret_key:
            raise ConfigError(
                "KIOSK_SECRET_KEY is not set. Set it to a long random value, for example "
                "the output of: python3 -c 'import secrets; print(secrets.token_hex(32))'"
            )
        if len(secret_key) < 32 and env != "development":
            raise ConfigError("KIOSK_SECRET_KEY is too short: use at least 32 random characters")
        database_url = environ.get("KIOSK_DATABASE_URL") or f"sqlite:///{instance_path / 'kiosk.sqlite3'}"
        return cls(
            secret_key=secret_key,
            database_url=database_url,
            instance_path=instance_path,
            env=env,
            public_url=environ.get("KIOSK_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            cookie_secure=_env_bool(environ.get("KIOSK_COOKIE_SECURE"), default=env != "development"),
            kiosk_idle_timeout=_env_seconds(environ, "KIOSK_IDLE_TIMEOUT", 90),
            sms_number=environ.get("KIOSK_SMS_NUMBER") or None,
            proxies=_env_int(environ, "KIOSK_PROXIES", 0),
            emergency_escalate_after=timedelta(
                minutes=_env_int(environ, "KIOSK_EMERGENCY_ESCALATE_MINUTES", 15, minimum=1)),
            kiosk_silent_after=timedelta(
                minutes=_env_int(environ, "KIOSK_SILENT_KIOSK_MINUTES", 30, minimum=2, maximum=MAX_SILENT_MINUTES)),
            packages_dir=Path(environ.get("ARGOS_PACKAGES_DIR") or instance_path / "packages"),
            audio_dir=Path(environ.get("KIOSK_AUDIO_DIR") or Config.audio_dir),
            translation_beam_size=_env_int(environ, "KIOSK_TRANSLATION_BEAM", 4, minimum=1),
            translation_compute_type=environ.get("KIOSK_TRANSLATION_COMPUTE", "default"),
            translation_threads=_env_int(environ, "KIOSK_TRANSLATION_THREADS", 0),
            twilio_account_sid=environ.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=environ.get("TWILIO_AUTH_TOKEN") or None,
            twilio_messaging_service_sid=environ.get("TWILIO_MESSAGING_SERVICE_SID") or None,
            twilio_from_number=environ.get("TWILIO_FROM_NUMBER") or None,
            twilio_api_url=environ.get("TWILIO_API_URL") or None,
        )

    def with_changes(self, **changes) -> "Config":
        return replace(self, **changes)
