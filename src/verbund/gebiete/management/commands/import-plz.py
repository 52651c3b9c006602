"""verbund import-plz PATH: import the PLZ ↔ AGS list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.core.errors import InvalidSourceFile
from verbund.gebiete.actions import import_plz
from verbund.gebiete.plz import parse_plz_csv


class Command(BaseCommand):
    help = "Importiert die Zuordnung Postleitzahl ↔ Gemeinde (CSV mit Spalten plz, ags, ort)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                report = import_plz(rows=parse_plz_csv(fh), actor="import-plz")
        except FileNotFoundError:
            raise CommandError(f"Datei nicht gefunden: {path}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: keine UTF-8-Datei ({exc.reason}).") from None
        except InvalidSourceFile as exc:
            raise CommandError(f"{path}: {exc.message} Es wurde nichts importiert.") from None
        self.stdout.write(
            f"{report.pairs} Zuordnungen: {report.plz} Postleitzahlen, {report.gemeinden} "
            f"Gemeinden; {report.via_successor} über Nachfolger, "
            f"{report.skipped_unknown_ags} Zeilen anderer Gebiete übersprungen."
        )
