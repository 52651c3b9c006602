"""verbund export-gebiete-fixture: write the compact directory fixture shipped with Verbund."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from verbund.gebiete.fixture import fixture_path, write_fixture


class Command(BaseCommand):
    help = "Schreibt den kompakten Gebiets-Auszug (Schlüssel, Namen, Typen, Einwohner, PLZ)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--land", default=None)
        parser.add_argument("--output", type=Path, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        land = options["land"] or settings.VERBUND_LAND
        path = options["output"] or fixture_path(land)
        counts = write_fixture(land=land, path=path)
        self.stdout.write(f"{path}: {counts['records']} Gebiete, {counts['plz']} PLZ-Zuordnungen.")
