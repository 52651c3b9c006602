"""WSGI entry point for the app server (see `verbund serve`).

Refuses to load without the installation's keys and migrated database (naming what is
missing) so that no server, ours or another one pointed at this module, starts on a wrong or
empty state directory.
"""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbund.settings.base")

application = get_wsgi_application()


def _refuse_without_state() -> None:
    from django.db import connections

    from verbund.core.health import missing_state

    missing = missing_state()
    connections.close_all()
    if missing:
        raise ImproperlyConfigured(
            "Verbund startet nicht, es fehlt: " + "; ".join(missing) + ". `verbund setup` "
            "legt Schlüssel und Datenbank an."
        )


_refuse_without_state()
