"""`verbund purge-expired-cases`: delete closed cases past their retention period with their
personal data. Run it daily (cron or a systemd timer, see docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from verbund.casework.actions import purge_expired_cases


class Command(BaseCommand):
    help = "Löscht abgeschlossene Vorgänge nach Ablauf ihrer Aufbewahrungsfrist."

    def handle(self, *args: Any, **options: Any) -> None:
        count = purge_expired_cases(actor="purge-expired-cases")
        self.stdout.write(f"{count} Vorgänge gelöscht.")
