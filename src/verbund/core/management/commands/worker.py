"""verbund worker: run the platform's tasks (webhooks, e-mail, harvests, statements)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from verbund.core.worker import Worker


class Command(BaseCommand):
    help = (
        "Führt die Hintergrundaufgaben der Plattform aus (Webhooks, E-Mails, Abrufe). "
        "Mehrere Worker-Prozesse dürfen nebeneinander laufen."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue",
            default="*",
            help="Warteschlangen, durch Komma getrennt (Standard: alle).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Sekunden Pause, wenn keine Aufgabe bereitsteht (Standard: 1).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Alle bereitstehenden Aufgaben ausführen, dann beenden.",
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="Nach so vielen Versuchen beenden."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(
            queue_names=options["queue"].split(","),
            interval=options["interval"],
            batch=options["batch"],
            max_tasks=options["max_tasks"],
        )
        # SIGTERM and SIGINT finish the running attempt, then stop; a second one stops at once.
        signal.signal(signal.SIGINT, worker.shutdown)
        signal.signal(signal.SIGTERM, worker.shutdown)
        if options["verbosity"] > 0:
            self.stdout.write(f"Worker {worker.worker_id} wartet auf Aufgaben.")
        worker.run()
