"""verbund import-ozg DIR: import the OZG structure (Lebenslagen, OZG-Leistungen, mapping)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.catalogue.demo import OZG_FILES, import_ozg_folder
from verbund.core.errors import InvalidSourceFile


class Command(BaseCommand):
    help = (
        "Importiert die OZG-Struktur aus einem Ordner mit ozg_lebenslagen.csv, "
        "ozg_leistungen.csv und leika_ozg_zuordnung.csv. Wiederholbar."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        missing = [name for name in OZG_FILES if not (folder / name).is_file()]
        if missing:
            raise CommandError(f"{folder}: es fehlt {', '.join(missing)}.")
        try:
            report = import_ozg_folder(folder, actor="import-ozg")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{folder}: keine UTF-8-Datei ({exc.reason}).") from None
        except InvalidSourceFile as exc:
            raise CommandError(f"{exc.message} Es wurde nichts importiert.") from None
        self.stdout.write(
            f"{report.themenfelder} Themenfelder, {report.lebenslagen} Lebenslagen, "
            f"{report.ozg_leistungen} OZG-Leistungen; {report.mapped} Leistungsschlüssel "
            f"zugeordnet ({report.unlinked} ohne OZG-Leistung, {report.services_created} neu "
            f"im Katalog)."
        )
