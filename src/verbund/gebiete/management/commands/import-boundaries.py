"""verbund import-boundaries PATH...: store GeoJSON boundaries (matched by ARS/AGS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.core.errors import InvalidSourceFile
from verbund.gebiete.actions import import_boundaries


class Command(BaseCommand):
    help = "Importiert Gebietsgrenzen aus GeoJSON-Dateien (Eigenschaften ARS und AGS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", type=Path, nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        for path in options["paths"]:
            try:
                with path.open(encoding="utf-8") as fh:
                    collection = json.load(fh)
                report = import_boundaries(
                    collection=collection, actor="import-boundaries", source=path.name
                )
            except FileNotFoundError:
                raise CommandError(f"Datei nicht gefunden: {path}") from None
            except json.JSONDecodeError as exc:
                raise CommandError(
                    f"{path}: kein gültiges JSON (Zeile {exc.lineno}, Spalte {exc.colno})."
                ) from None
            except InvalidSourceFile as exc:
                raise CommandError(f"{exc.message} Es wurde nichts importiert.") from None
            self.stdout.write(
                f"{path.name}: {report.matched} Grenzen zugeordnet, "
                f"{len(report.unmatched)} ohne Gebiet."
            )
