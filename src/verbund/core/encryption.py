"""Field-level encryption of personal profile data at rest.

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, `cryptography`) under the
keys of VERBUND_PROFILE_ENCRYPTION_KEYS (or the one `verbund setup` created in the state
directory). A database dump, a backup or a read replica alone does not reveal names,
addresses or dates of birth; the application servers hold the keys. The first key encrypts,
every key decrypts, so keys rotate without downtime (`verbund reencrypt-profiles`).
"""

from __future__ import annotations

import datetime
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from verbund.settings import state

PREFIX = "fernet:"


def _state_key() -> str:
    """The key `verbund setup` created in the state directory; never made here (a new key
    would make every stored profile unreadable). Read once per process and directory: it
    is asked for every encrypted value, and only `verbund setup` ever writes it."""
    return _read_state_key(str(settings.STATE_DIR))


@cache
def _read_state_key(directory: str) -> str:
    key = state.read_key(Path(directory), state.PROFILE_KEY)
    if not key:
        raise ImproperlyConfigured(
            f"{state.PROFILE_KEY.label} fehlt: weder VERBUND_PROFILE_ENCRYPTION_KEYS noch "
            f"{settings.STATE_DIR / state.PROFILE_KEY.filename} (`verbund setup` legt ihn an)."
        )
    return key


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
