"""verbund aggregate-figures: count the transparency figures anew (run monthly, e.g. by cron
`7 2 1 * * verbund aggregate-figures --publish`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from verbund.gebiete import queries as gebiete_queries
from verbund.transparency import actions


class Command(BaseCommand):
    help = (
        "Berechnet die Kennzahlen des Transparenz-Dashboards aus den Vorgängen, Rechnungen und "
        "Datensätzen neu; mit --publish auch als offene Daten (CSV)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Die Kennzahlen als Datensätze im offenen Datenkatalog veröffentlichen.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        land = gebiete_queries.get_land(settings.VERBUND_LAND)
        run = actions.aggregate_figures(land=land, actor="verbund aggregate-figures")
        self.stdout.write(
            f"{run.figures} Kennzahlen berechnet (Prüfsumme {run.source_digest[:12]})."
        )
        if options["publish"]:
            datasets = actions.publish_figures(actor="verbund aggregate-figures")
            self.stdout.write(f"{len(datasets)} Datensätze im Katalog aktualisiert.")
