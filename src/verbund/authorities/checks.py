"""`verbund check --deploy` refuses authority keys that the platform alone can unwrap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

from verbund.authorities.models import EncryptionKey, KeyProtection


@register(Tags.security, deploy=True)
def check_keys_protected(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Skipped (with no error) when the database cannot be read, e.g. before `verbund setup`."""
    try:
        platform_keys = EncryptionKey.objects.filter(
            active=True, protection=KeyProtection.PLATFORM
        ).count()
    except DatabaseError:
        return []
    if not platform_keys:
        return []
    return [
        Error(
            f"{platform_keys} Behördenschlüssel sind nur mit dem Schlüssel der Plattform "
            "geschützt: wer das Zustandsverzeichnis hat, kann Anträge entschlüsseln.",
            hint="Schlüssel mit Passphrase der Behörde schützen oder extern halten "
            "(docs/security.md).",
            id="verbund.E005",
        )
    ]
