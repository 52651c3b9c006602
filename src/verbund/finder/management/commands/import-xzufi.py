"""verbund import-xzufi PATH: read an XZuFi 2.2 document back (all or nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.core.errors import InvalidSourceFile
from verbund.finder import xzufi
from verbund.finder.actions import import_xzufi


class Command(BaseCommand):
    help = (
        "Importiert Leistungen, Organisationseinheiten und Zuständigkeiten aus XZuFi-2.2-XML. "
        "Ein Fehler verwirft den ganzen Import."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise CommandError(f"Datei nicht gefunden: {path}") from None
        try:
            report = import_xzufi(document=xzufi.parse(data), actor="import-xzufi")
        except InvalidSourceFile as exc:
            raise CommandError(f"{path}: {exc.message} Es wurde nichts importiert.") from None
        self.stdout.write(
            f"Leistungen: {report.services_created} neu, {report.services_updated} geändert; "
            f"Organisationseinheiten: {report.authorities_created} neu, "
            f"{report.authorities_updated} geändert; Zuständigkeiten: "
            f"{report.zustaendigkeiten_created} neu, {report.zustaendigkeiten_updated} "
            "geändert oder bestätigt."
        )
