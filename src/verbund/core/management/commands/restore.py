"""verbund restore DIR: rebuild an empty installation from a backup of `verbund backup`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Stellt eine leere Installation aus einer Sicherung wieder her (alle Prüfsummen "
        "werden zuerst geprüft); danach `verbund migrate`."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, help="Verzeichnis einer Sicherung")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = restore_backup(options["source"], say=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Wiederhergestellt: {summary.database} und {summary.files} Dateien. "
                "Als Nächstes: `verbund migrate`."
            )
        )
