"""verbund harvest SOURCE: import the datasets of a DCAT RDF document (file or URL) or of a
CKAN Action API."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.authorities.queries import all_authorities
from verbund.core.errors import DomainError
from verbund.opendata.harvest import harvest, source_for
from verbund.opendata.models import HarvestSource
from verbund.opendata.tasks import enqueue_scheduled_harvests


class Command(BaseCommand):
    help = (
        "Erntet eine DCAT-RDF-Quelle oder eine CKAN-API: neue und geänderte Datensätze "
        "werden übernommen, zurückgezogene entfernt; wiederholbar."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "source",
            nargs="?",
            help="Kurzname einer Quelle, Dateipfad, http(s)-Adresse oder Adresse einer CKAN-API "
            "(…/api/3/action/, wahlweise mit ?fq=organization:KURZNAME)",
        )
        parser.add_argument(
            "--scheduled",
            action="store_true",
            help="Alle regelmäßig zu erntenden Quellen in die Aufgabenwarteschlange stellen",
        )
        parser.add_argument(
            "--authority", help="Kurzname der Behörde, für die eine neue Quelle angelegt wird"
        )
        parser.add_argument("--name", default="", help="Kurzname einer neu angelegten Quelle")
        parser.add_argument(
            "--ckan",
            action="store_true",
            help="Eine neu angelegte Quelle ist eine CKAN-API (sonst an /api/3/action erkannt)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scheduled"]:
            count = enqueue_scheduled_harvests()
            self.stdout.write(f"{count} Quellen zum Ernten eingereiht.")
            return
        if not options["source"]:
            raise CommandError("Quelle angeben oder --scheduled.")
        source = HarvestSource.objects.filter(name=options["source"]).first()
        if source is None:
            authority = all_authorities().filter(slug=options["authority"] or "").first()
            if authority is None:
                raise CommandError(
                    f"„{options['source']}“ ist keine bekannte Quelle; für eine neue Quelle "
                    "--authority KURZNAME angeben."
                )
            source = source_for(
                url=options["source"],
                authority=authority,
                name=options["name"],
                kind=HarvestSource.Kind.CKAN if options["ckan"] else "",
            )
        try:
            outcome = harvest(source=source, actor="harvest")
        except DomainError as exc:
            raise CommandError(f"{source.url}: {exc.message}") from None
        run = outcome.run
        self.stdout.write(
            f"{source.name}: {run.created} neu, {run.updated} geändert, {run.unchanged} "
            f"unverändert, {run.deleted} entfernt; {outcome.datasets} Datensätze mit "
            f"{outcome.distributions} Distributionen."
        )
        for error in run.errors:
            self.stdout.write(f"  {error['level']}: {error['record']}: {error['message']}")
