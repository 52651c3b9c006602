"""verbund delete-expired-drafts: delete application drafts past their expiry (run daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from verbund.applications.actions import delete_expired_drafts


class Command(BaseCommand):
    help = "Löscht abgelaufene Antragsentwürfe mit ihren Anhängen."

    def handle(self, *args: Any, **options: Any) -> None:
        count = delete_expired_drafts(actor="delete-expired-drafts")
        self.stdout.write(f"{count} abgelaufene Entwürfe gelöscht.")
