"""verbund load-demo: upsert the demo data of every domain (idempotent).

Each domain that has demo data provides `verbund.<domain>.demo.load(out=...)`; they run in
the order of INSTALLED_APPS, so a domain's data can build on the domains below it.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Lädt oder aktualisiert die Demodaten aller Bereiche (wiederholbar)."

    def handle(self, *args: Any, **options: Any) -> None:
        for config in apps.get_app_configs():
            if not config.name.startswith("verbund."):
                continue
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            module = import_module(module_name)
            self.stdout.write(self.style.MIGRATE_HEADING(f"{config.verbose_name}:"))
            module.load(out=lambda line: self.stdout.write(f"  {line}"))
        self.stdout.write(self.style.SUCCESS("Demodaten geladen."))
