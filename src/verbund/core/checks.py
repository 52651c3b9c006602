"""`verbund check --deploy` refuses an installation that is not safe to put in front of the
public: debug mode, demo accounts with public passwords, mails printed to the console, plain
http, and authority keys the platform itself can unwrap. (The test payment provider is
refused by integrations/payment/checks.py.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError

# Every demo account (accounts/demo.py) has an address below this domain.
DEMO_DOMAIN = "demo.verbund.invalid"
UNSENT_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@register(Tags.security, deploy=True)
def check_safe_defaults(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.DEBUG:
        errors.append(
            Error(
                "DEBUG ist eingeschaltet: Fehlerseiten zeigen Quelltext und Einstellungen.",
                hint="DEBUG=false setzen.",
                id="verbund.E001",
            )
        )
    if settings.EMAIL_BACKEND in UNSENT_EMAIL_BACKENDS:
        errors.append(
            Error(
                f"E-Mails werden nicht versandt ({settings.EMAIL_BACKEND}): Bestätigungen und "
                "Passwort-Links landen im Protokoll.",
                hint="EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend und EMAIL_HOST "
                "setzen.",
                id="verbund.E003",
            )
        )
    if not (
        settings.SESSION_COOKIE_SECURE
        and settings.CSRF_COOKIE_SECURE
        and settings.SECURE_HSTS_SECONDS
        and settings.SECURE_PROXY_SSL_HEADER
    ):
        errors.append(
            Error(
                "HTTPS ist nicht eingestellt: Cookies ohne Secure-Attribut, kein HSTS.",
                hint="VERBUND_HTTPS=true (die Voreinstellung ohne DEBUG) und TLS am "
                "Reverse-Proxy (docs/deployment.md).",
                id="verbund.E004",
            )
        )
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
    errors += _database_checks()
    return errors


def _database_checks() -> list[CheckMessage]:
    """What only the database knows; skipped (with no error) when it cannot be read, e.g.
    before `verbund setup`."""
    from verbund.accounts.models import User
    from verbund.authorities.models import EncryptionKey, KeyProtection
    from verbund.authorities.queries import authorities_with_few_key_holders

    errors: list[CheckMessage] = []
    try:
        demo = list(
            User.objects.filter(email__iendswith=DEMO_DOMAIN)
            .order_by("username")
            .values_list("username", flat=True)[:5]
        )
        platform_keys = EncryptionKey.objects.filter(
            active=True, protection=KeyProtection.PLATFORM
        ).count()
        single_holder = authorities_with_few_key_holders()
    except DatabaseError:
        return []
    if demo:
        errors.append(
            Error(
                f"Demo-Konten mit öffentlichem Passwort sind angelegt ({', '.join(demo)} …).",
                hint="Eine Produktion wird mit `verbund setup` ohne `verbund load-demo` "
                "eingerichtet; vorhandene Demo-Konten löschen.",
                id="verbund.E002",
            )
        )
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
