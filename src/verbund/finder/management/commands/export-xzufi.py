"""verbund export-xzufi [PATH]: Leistungen, Organisationseinheiten and Zuständigkeiten as
XZuFi 2.2 XML (to stdout without PATH)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from verbund.authorities.queries import authorities
from verbund.catalogue import queries as catalogue_queries
from verbund.finder import queries, xzufi


class Command(BaseCommand):
    help = (
        "Schreibt Leistungen (redaktionell gepflegte; mit --all alle), Organisationseinheiten "
        "und Zuständigkeiten (mit den Bezirken der Bezirksbehörden) als XZuFi-2.2-XML."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path)
        parser.add_argument("--all", action="store_true", help="auch den LeiKa-Basiskatalog")

    def handle(self, *args: Any, **options: Any) -> None:
        services = catalogue_queries.all_services().order_by("slug")
        if not options["all"]:
            services = services.filter(is_curated=True)
        data = xzufi.serialize(
            services=services,
            authorities=authorities().order_by("slug"),
            zustaendigkeiten=[
                *queries.all_zustaendigkeiten(),
                *queries.district_zustaendigkeiten(),
            ],
            created=timezone.now().replace(microsecond=0).isoformat(),
        )
        path: Path | None = options["path"]
        if path is None:
            self.stdout.write(data.decode())
            return
        path.write_bytes(data)
        self.stderr.write(f"XZuFi geschrieben: {path} ({len(data)} Bytes).")
