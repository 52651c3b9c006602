"""verbund architecture-graph: draw the domain graph in docs/architecture.md from the
boundary contract (`verbund.core.boundaries`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.core.boundaries import replace_graph


class Command(BaseCommand):
    help = "Zeichnet den Abhängigkeitsgraphen der Domänen in docs/architecture.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--page", type=Path, default=Path(settings.BASE_DIR) / "docs" / "architecture.md"
        )
        parser.add_argument(
            "--check", action="store_true", help="Nur prüfen, ob die Seite aktuell ist."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        page: Path = options["page"]
        current = page.read_text(encoding="utf-8")
        wanted = replace_graph(current)
        if options["check"]:
            if wanted != current:
                raise CommandError(f"{page} ist veraltet: verbund architecture-graph ausführen.")
            return
        page.write_text(wanted, encoding="utf-8")
        self.stdout.write(f"{page} geschrieben.")
