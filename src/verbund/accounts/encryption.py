"""Field-level encryption of personal profile data at rest.

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, `cryptography`) under the
keys of VERBUND_PROFILE_ENCRYPTION_KEYS (or one generated into the state directory). A
database dump, a backup or a read replica alone does not reveal names, addresses or dates
of birth; the application servers hold the keys. The first key encrypts, every key
decrypts, so keys rotate without downtime (`verbund reencrypt-profiles`).
"""

from __future__ import annotations

import datetime
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "fernet:"


def _state_key() -> str:
    key_file = settings.STATE_DIR / "profile-key"
    if not key_file.exists():
        settings.STATE_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(Fernet.generate_key().decode())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    keys = tuple(settings.VERBUND_PROFILE_ENCRYPTION_KEYS) or (_state_key(),)
    return _fernet(keys)


def encrypt(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("no configured profile key decrypts this value") from exc


def rotate(stored: str) -> str:
    """The value encrypted again under the current first key."""
    return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text that is stored encrypted; empty strings stay empty (nothing to hide)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


class EncryptedDateField(models.TextField):  # type: ignore[type-arg]
    """A date stored encrypted as ISO text; read back as `datetime.date`."""

    def from_db_value(
        self, value: str | None, expression: Any, connection: Any
    ) -> datetime.date | None:
        if value is None or value == "":
            return None
        return datetime.date.fromisoformat(decrypt(value))

    def to_python(self, value: Any) -> datetime.date | None:
        if value is None or value == "" or isinstance(value, datetime.date):
            return value or None
        return datetime.date.fromisoformat(str(value))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return ""
        if isinstance(value, datetime.date):
            value = value.isoformat()
        return encrypt(str(value))

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return value.isoformat() if value else ""
