"""verbund setup: create the installation's keys and bring its database up to date.

The only command that creates state (`make setup` runs it): the secret key, the OIDC
signing key and the profile key in `$VERBUND_STATE_DIR` (each only when neither its setting
nor its file exists; an existing key is never replaced), then the database with every
migration. `verbund serve` refuses to start until this has run. Demo data is not loaded
here: that is `verbund load-demo` (`make demo`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from verbund.settings import state


class Command(BaseCommand):
    help = (
        "Legt die Schlüssel der Installation an (falls sie fehlen) und bringt die Datenbank "
        "auf den Stand des Codes. Lädt keine Demodaten."
    )
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        state_dir = Path(settings.STATE_DIR)
        wanted = [key for key in state.KEYS if not _configured(key)]
        created = state.create_keys(state_dir, tuple(wanted))
        for key in wanted:
            verb = "angelegt" if key in created else "vorhanden"
            self.stdout.write(f"{key.label}: {state_dir / key.filename} ({verb})")
        if created:
            self.stdout.write(
                self.style.WARNING(
                    "Neue Schlüssel: mehrere App-Server einer Installation brauchen dieselben "
                    "(docs/deployment.md, Abschnitt Shared secrets)."
                )
            )
        # The settings read the keys when they were loaded: give this process the new ones
        # for what the migrations may sign or encrypt.
        if state.SECRET_KEY in created:
            settings.SECRET_KEY = state.read_key(state_dir, state.SECRET_KEY)
        call_command("migrate", interactive=False, verbosity=max(options["verbosity"], 1))
        self.stdout.write(self.style.SUCCESS("Einrichtung abgeschlossen."))


def _configured(key: state.StateKey) -> bool:
    """Whether the key comes from its setting (environment) rather than the state file."""
    if key is state.SECRET_KEY:
        return bool(os.environ.get("SECRET_KEY"))
    if key is state.OIDC_KEY:
        return bool(settings.VERBUND_OIDC_PRIVATE_KEY_FILE)
    return bool(settings.VERBUND_PROFILE_ENCRYPTION_KEYS)
