"""verbund export-leika-fixture: write the compact LeiKa/OZG fixture shipped with Verbund."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from verbund.catalogue.fixture import FIXTURE, write_fixture


class Command(BaseCommand):
    help = "Schreibt den kompakten LeiKa- und OZG-Auszug (Schlüssel, Namen, Zuordnungen)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=FIXTURE)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["output"]
        counts = write_fixture(path)
        self.stdout.write(
            f"{path}: {counts['leika']} LeiKa-Zeilen, {counts['lebenslagen']} Lebenslagen, "
            f"{counts['ozg_leistungen']} OZG-Leistungen, {counts['zuordnung']} Zuordnungen."
        )
