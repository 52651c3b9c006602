"""verbund backup DIR: the database and every stored file, with a manifest of hashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.core.backup import BackupError, write_backup


class Command(BaseCommand):
    help = (
        "Sichert Datenbank und alle abgelegten Dateien mit Prüfsummen in ein neues "
        "Verzeichnis (die Schlüssel gehören nicht dazu: getrennt aufbewahren)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", type=Path, help="neues oder leeres Verzeichnis")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = write_backup(options["destination"], say=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Gesichert: {summary.database} und {summary.files} Dateien "
                f"({summary.bytes} Bytes) in {options['destination']}."
            )
        )
