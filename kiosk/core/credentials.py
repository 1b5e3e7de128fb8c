"""Hashing what people prove themselves with: PINs, passwords, tokens and codes.

PINs and passwords are low-entropy, so they get argon2id. Random tokens and
share codes are looked up by value, so they get a plain SHA-256 digest.
"""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiosk.config import Config


class SecretHasher:
    def __init__(self, config: Config):
        self._hasher = PasswordHasher(
            time_cost=config.argon2_time_cost, memory_cost=config.argon2_memory_cost
        )
        self._dummy = self._hasher.hash("not a real secret")

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def verify(self, hashed: str | None, secret: str) -> bool:
        """True when the secret matches; takes the same time when there is nothing to match."""
        try:
            return self._hasher.verify(hashed or self._dummy, secret) and hashed is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        return self._hasher.check_needs_rehash(hashed)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
