"""verbund import-leika PATH: import the LeiKa key/name pairs (leistungen.csv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.catalogue.actions import import_leika
from verbund.catalogue.leika import parse_leistungen
from verbund.core.errors import InvalidSourceFile


class Command(BaseCommand):
    help = (
        "Importiert den LeiKa-Basiskatalog (CSV mit den Spalten leika_key, name, source, "
        "confidence). Wiederholbar; redaktionelle Texte bleiben unverändert."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                report = import_leika(rows=parse_leistungen(fh), actor="import-leika")
        except FileNotFoundError:
            raise CommandError(f"Datei nicht gefunden: {path}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: keine UTF-8-Datei ({exc.reason}).") from None
        except InvalidSourceFile as exc:
            raise CommandError(f"{path}: {exc.message} Es wurde nichts importiert.") from None
        self.stdout.write(
            f"{report.rows} Zeilen, {report.keys} Leistungsschlüssel: {report.created} neu, "
            f"{report.updated} geändert, {report.unchanged} unverändert; {report.outdated} "
            f"durch neuere Schlüssel ersetzt, {report.curated} redaktionell gepflegt."
        )
