"""`verbund check --deploy` refuses authority keys that the platform alone can unwrap (and the
setting that would make new ones), and warns where fewer than two people of an authority's
Leitung or Administration hold its key (decision 0027)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError

from verbund.authorities.models import EncryptionKey, KeyProtection
from verbund.authorities.queries import authorities_with_few_key_holders


@register(Tags.security, deploy=True)
def check_keys_protected(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """The database part is skipped (with no error) when the database cannot be read, e.g.
    before `verbund setup`."""
    errors: list[CheckMessage] = []
    if settings.VERBUND_KEY_CUSTODY == "platform":
        errors.append(
            Error(
                "VERBUND_KEY_CUSTODY=platform: neue Behördenschlüssel würden mit dem Schlüssel "
                "der Plattform geschützt; der Betreiber könnte Anträge lesen.",
                hint="VERBUND_KEY_CUSTODY=staff (Voreinstellung) setzen; nur die Demo hält "
                "die Schlüssel auf der Plattform (docs/security.md).",
                id="verbund.E005",
            )
        )
    try:
        platform_keys = EncryptionKey.objects.filter(
            active=True, protection=KeyProtection.PLATFORM
        ).count()
        single_holder = authorities_with_few_key_holders()
    except DatabaseError:
        return errors
    if platform_keys:
        errors.append(
            Error(
                f"{platform_keys} Behördenschlüssel sind nur mit dem Schlüssel der Plattform "
                "geschützt: wer das Zustandsverzeichnis hat, kann Anträge entschlüsseln.",
                hint="Leitung: Seite „Schlüssel der Behörde“ (/schluessel/<behörde>/) → "
                "„Schlüssel in die Hand der Mitarbeitenden übernehmen“, oder den Schlüssel "
                "extern halten (docs/security.md).",
                id="verbund.E005",
            )
        )
    if single_holder:
        errors.append(
            Warning(
                f"{len(single_holder)} Behörden, deren Schlüssel weniger als zwei Personen der "
                f"Leitung oder Administration halten ({', '.join(single_holder[:5])} …): "
                "vergisst diese Person ihre Passphrase, ist der Schlüssel verloren.",
                hint="Eine zweite Person der Leitung auf /schluessel/<behörde>/ freigeben "
                "(Wiederherstellung, docs/security.md).",
                id="verbund.W001",
            )
        )
    return errors
