"""verbund serve --host H --port P: serve Verbund with gunicorn (production WSGI server)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from django.db import connections
        from django.urls import get_resolver

        from verbund.wsgi import application

        # Import the URL configuration once in the master: otherwise every worker does it
        # on its first request (measured: 8 % of a worker's first seconds under load).
        get_resolver().url_patterns  # noqa: B018
        # Connections are kept open between requests (CONN_MAX_AGE): none may be opened
        # in the master and inherited by the forked workers.
        connections.close_all()
        return application


class Command(BaseCommand):
    help = "Startet Verbund mit gunicorn (nicht mit dem Entwicklungsserver)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("VERBUND_WORKERS", 2 * (os.cpu_count() or 1) + 1)),
            help="Worker processes (default: VERBUND_WORKERS or 2 × CPU cores + 1).",
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("VERBUND_THREADS", 1))
        )
        parser.add_argument("--timeout", type=int, default=60)
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Startet zusätzlich einen Task-Worker (`verbund worker`) und beendet ihn mit "
            "dem Server: für Demo und Einzelplatz; in Produktion laufen Worker getrennt.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import connections

        from verbund.core.health import missing_state

        missing = missing_state()
        connections.close_all()
        if missing:
            raise CommandError(
                "Verbund startet nicht, es fehlt:\n"
                + "".join(f"  - {item}\n" for item in missing)
                + "`verbund setup` (oder `make setup`) legt Schlüssel und Datenbank an. "
                "Ist VERBUND_STATE_DIR richtig gesetzt?"
            )
        self.stdout.write(
            f"Verbund läuft auf http://{options['host']}:{options['port']}/ "
            f"({options['workers']} Worker). Beenden mit Strg+C."
        )
        worker = None
        if options["with_worker"]:
            worker = subprocess.Popen(  # noqa: S603 - our own console script
                [sys.argv[0], "worker", "--verbosity", "0"]
                if sys.argv[0].endswith("verbund")
                else [sys.executable, "-m", "verbund", "worker", "--verbosity", "0"]
            )
        try:
            self.run_gunicorn(options)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)

    def run_gunicorn(self, options: dict[str, Any]) -> None:
        _Gunicorn(
            {
                "bind": f"{options['host']}:{options['port']}",
                "workers": options["workers"],
                "threads": options["threads"],
                "timeout": options["timeout"],
                "accesslog": "-",
                "errorlog": "-",
                "loglevel": "warning",
                "preload_app": True,
            }
        ).run()
