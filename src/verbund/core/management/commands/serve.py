"""verbund serve --host H --port P: serve Verbund with granian (production WSGI server).

granian reads requests on Rust's asynchronous I/O (hyper) and hands only complete requests
to the Python threads that run Django: a client that trickles its headers costs a socket,
not a worker, so a few hundred slow clients do not make the site unresponsive (issue 11,
finding 6; gunicorn's sync workers were held by six). Clients get `--header-timeout`
seconds for their headers. In production a reverse proxy still goes in front
(docs/deployment.md): TLS, request size limits and rate limits per client.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Startet Verbund mit granian (nicht mit dem Entwicklungsserver)."
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
            "--threads",
            type=int,
            default=int(os.environ.get("VERBUND_THREADS", 1)),
            help="Threads per worker that run Django (default: VERBUND_THREADS or 1).",
        )
        parser.add_argument(
            "--header-timeout",
            "--timeout",
            dest="header_timeout",
            type=int,
            default=30,
            help="Seconds a client may take to send its request headers (default 30).",
        )
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
        if not missing:
            self.preload()
        # None may be inherited by the forked workers (CONN_MAX_AGE keeps them open).
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
        self.stdout.flush()
        worker = None
        if options["with_worker"]:
            worker = subprocess.Popen(  # noqa: S603 - our own console script
                [sys.argv[0], "worker", "--verbosity", "0"]
                if sys.argv[0].endswith("verbund")
                else [sys.executable, "-m", "verbund", "worker", "--verbosity", "0"]
            )
        try:
            self.run_granian(options)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)

    def preload(self) -> None:
        """Import the application, its URL configuration and what /healthz uses once, here:
        the workers are forked from this process and answer their first request warm (the
        domains' health checks are imported by their AppConfig.ready)."""
        from django.urls import get_resolver

        import verbund.wsgi  # noqa: F401
        from verbund.core import warmup

        get_resolver().url_patterns  # noqa: B018
        warmup.run()  # what the domains registered (the search's word lists)

    def run_granian(self, options: dict[str, Any]) -> None:
        from granian import Granian
        from granian.constants import HTTPModes, Interfaces
        from granian.http import HTTP1Settings
        from granian.log import LogLevels

        Granian(
            "verbund.wsgi:application",
            address=options["host"],
            port=options["port"],
            interface=Interfaces.WSGI,
            http=HTTPModes.http1,
            workers=options["workers"],
            blocking_threads=options["threads"],
            http1_settings=HTTP1Settings(header_read_timeout=options["header_timeout"] * 1000),
            log_level=LogLevels.warning,
            log_access=True,
            respawn_failed_workers=True,
        ).serve()
