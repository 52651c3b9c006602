"""verbund reconcile-payments: ask the payment provider about every open payment (run it
every few minutes, e.g. from a systemd timer, see docs/deployment.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from verbund.applications import actions


class Command(BaseCommand):
    help = (
        "Gleicht offene Zahlungen mit dem Bezahldienst ab; abgelaufene werden abgebrochen "
        "(VERBUND_PAYMENT_EXPIRY_MINUTES)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = actions.reconcile_payments(actor="reconcile-payments")
        self.stdout.write(
            f"{counts['checked']} offene Zahlungen abgefragt: {counts['changed']} geändert, "
            f"{counts['expired']} abgelaufen, {counts['unreachable']} nicht erreichbar."
        )
