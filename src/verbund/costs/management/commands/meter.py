"""verbund meter [--monat JJJJ-MM] [--abrechnen]: measure a month's usage of the shared
components from the records (the same rows as the task `costs.tasks.meter_month`; running
it again changes nothing), and with --abrechnen issue the month's statements of the Land."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from verbund.core.errors import DomainError
from verbund.costs import actions, rules
from verbund.gebiete import queries as gebiete_queries


def previous_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


class Command(BaseCommand):
    help = (
        "Misst die Nutzung der Verbundkomponenten eines Monats je Behörde (wiederholbar); "
        "mit --abrechnen auch die Abrechnungen des Landes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--monat", default="", help="JJJJ-MM (Standard: der Vormonat)")
        parser.add_argument(
            "--abrechnen", action="store_true", help="Abrechnungen des Monats erstellen"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = (
                rules.parse_month(options["monat"])
                if options["monat"]
                else previous_month(timezone.localdate())
            )
        except ValueError:
            raise CommandError("Bitte den Monat als JJJJ-MM angeben, z. B. 2026-11.") from None
        try:
            if options["abrechnen"]:
                land = gebiete_queries.get_land(settings.VERBUND_LAND)
                issued = actions.issue_statements(land=land, month=month, actor="meter")
                self.stdout.write(f"{month:%Y-%m}: {len(issued)} Abrechnungen erstellt.")
            else:
                rows = actions.meter_month(month=month, actor="meter")
                self.stdout.write(f"{month:%Y-%m}: {rows} Messwerte.")
        except DomainError as exc:
            raise CommandError(exc.message) from None
