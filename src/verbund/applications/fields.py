"""Model fields for personal data of drafts, encrypted at rest.

A draft must be shown back to the citizen while it is being filled in, so it cannot be
encrypted to the authority's key (the platform may not hold that private key at all). It is
encrypted like the Servicekonto's profile data instead (`verbund.core.encryption`:
Fernet under `VERBUND_PROFILE_ENCRYPTION_KEYS`, the first key encrypts, all decrypt): a
database dump or backup alone reveals neither the answers nor the names of attached files.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from verbund.core import encryption


class EncryptedJSONField(models.TextField):  # type: ignore[type-arg]
    """A JSON value (dict, list, …) stored as encrypted text; read back decoded."""

    # for django-stubs: what the attribute accepts and returns
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return self.get_default()
        return json.loads(encryption.decrypt(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encryption.encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)
