"""verbund issue-einvoice-api-key NAME [--email ADDRESS]: a key for a supplier's system."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from verbund.einvoices.actions import issue_api_key


class Command(BaseCommand):
    help = "Erzeugt einen API-Schlüssel für das Rechnungssystem eines Lieferanten."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Lieferant oder System")
        parser.add_argument("--email", default="", help="Kontakt für Ablehnungen")

    def handle(self, *args: Any, **options: Any) -> None:
        api_key, key = issue_api_key(
            name=options["name"], contact_email=options["email"], actor="cli"
        )
        self.stdout.write(f"Schlüssel für {api_key.name} (nur jetzt sichtbar):")
        self.stdout.write(key)
        self.stdout.write("Senden als Kopfzeile: X-API-Key: <Schlüssel>")
