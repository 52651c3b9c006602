"""Deployment check of the payment provider (`verbund check --deploy`): the demo's test
provider marks fees paid without money and must never serve the public."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def check_payment_provider(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    provider = settings.VERBUND_PAYMENT_PROVIDER
    if provider == "test":
        return [
            Error(
                "VERBUND_PAYMENT_PROVIDER=test: der Test-Bezahldienst der Demo bestätigt "
                "Zahlungen ohne Geld.",
                hint="VERBUND_PAYMENT_PROVIDER=xbezahldienste mit VERBUND_XBEZAHLDIENSTE_* "
                "einrichten.",
                id="payment.E001",
            )
        ]
    if provider == "xbezahldienste":
        missing = [
            name
            for name in (
                "VERBUND_XBEZAHLDIENSTE_URL",
                "VERBUND_XBEZAHLDIENSTE_ORIGINATOR_ID",
                "VERBUND_XBEZAHLDIENSTE_ENDPOINT_ID",
            )
            if not getattr(settings, name)
        ]
        if missing:
            return [
                Error(
                    f"XBezahldienste ist nicht eingerichtet: {', '.join(missing)} fehlt.",
                    hint="Die Werte vergibt der Bezahldienst (ePayBL, pmPayment, …).",
                    id="payment.E002",
                )
            ]
        if not settings.VERBUND_PAYMENT_SECRET:
            return [
                Error(
                    "VERBUND_PAYMENT_SECRET fehlt: Zahlungsmeldungen brauchen ein mit dem "
                    "Bezahldienst vereinbartes Geheimnis.",
                    id="payment.E003",
                )
            ]
        return []
    return [Error(f"Unbekannter Bezahldienst {provider!r}.", id="payment.E004")]
