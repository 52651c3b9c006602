"""`verbund check --deploy` refuses an installation that is not safe to put in front of the
public: debug mode, mails printed to the console, plain http. (The test payment provider is
refused by integrations/payment/checks.py, demo accounts by accounts/checks.py and keys the
platform can unwrap by authorities/checks.py: the shared ground names no domain.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

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
    return errors
