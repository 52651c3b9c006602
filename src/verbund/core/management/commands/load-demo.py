"""verbund load-demo: upsert the demo data of every domain (idempotent).

Each domain that has demo data provides `verbund.<domain>.demo.load(out=...)`; they run in
the order of INSTALLED_APPS, so a domain's data can build on the domains below it.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Lädt oder aktualisiert die Demodaten aller Bereiche (wiederholbar)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.VERBUND_KEY_CUSTODY != "platform":
            # The demo's applications are sealed for authorities whose staff has set no key
            # passphrase; only the platform-held wrap (demo only, decision 0027) can do that.
            raise CommandError(
                "Die Demodaten brauchen VERBUND_KEY_CUSTODY=platform (setzt `make demo`): "
                "ihre Anträge gehen an Behörden, deren Leitung noch keinen Schlüssel "
                "eingerichtet hat. Nie in Produktion."
            )
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
