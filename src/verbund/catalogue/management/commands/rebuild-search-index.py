"""verbund rebuild-search-index: analyse the whole catalogue again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from verbund.catalogue.actions import rebuild_search_index


class Command(BaseCommand):
    help = "Baut den Suchindex des Leistungskatalogs neu auf."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = rebuild_search_index(actor="rebuild-search-index")
        self.stdout.write(f"{counts['services']} Leistungen, {counts['terms']} Begriffe.")
