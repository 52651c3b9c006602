"""verbund import-gebiete PATH [--land 16|all]: import the Destatis GV100AD directory."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from verbund.core.errors import InvalidSourceFile
from verbund.gebiete.actions import import_gebiete
from verbund.gebiete.gv100ad import parse_gv100ad


class Command(BaseCommand):
    help = "Importiert das Gemeindeverzeichnis GV100AD (Festbreitenformat von Destatis)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--land",
            default=None,
            help="Zweistelliger Landesschlüssel oder 'all' für ganz Deutschland "
            "(Standard: VERBUND_LAND).",
        )
        parser.add_argument(
            "--successor",
            action="append",
            default=[],
            metavar="ALT=NEU",
            help="Nachfolger einer aufgelösten Gemeinde ausdrücklich angeben (wiederholbar).",
        )
        parser.add_argument(
            "--allow-older",
            action="store_true",
            help="Auch einen älteren Gebietsstand als den gespeicherten laden.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        land = options["land"] or settings.VERBUND_LAND
        land_filter = None if land == "all" else land
        if land_filter is not None and (len(land_filter) != 2 or not land_filter.isdigit()):
            raise CommandError(f"--land {land!r}: erwartet wird ein zweistelliger Schlüssel.")
        successors = {}
        for item in options["successor"]:
            old, sep, new = item.partition("=")
            if not sep:
                raise CommandError(f"--successor {item!r}: erwartet ALT=NEU.")
            successors[old.strip()] = new.strip()
        try:
            with path.open(encoding="utf-8") as fh:
                total = sum(1 for _ in fh)
                fh.seek(0)
                lines = tqdm(
                    fh,
                    total=total,
                    unit=" Sätze",
                    desc="GV100AD",
                    disable=None,
                    file=sys.stderr,
                )
                report = import_gebiete(
                    records=parse_gv100ad(lines, land=land_filter),
                    actor="import-gebiete",
                    successors=successors,
                    allow_older=options["allow_older"],
                )
        except FileNotFoundError:
            raise CommandError(f"Datei nicht gefunden: {path}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: keine UTF-8-Datei ({exc.reason}).") from None
        except InvalidSourceFile as exc:
            raise CommandError(f"{path}: {exc.message} Es wurde nichts importiert.") from None
        counts = report.counts
        self.stdout.write(
            f"Gebietsstand {report.gebietsstand:%d.%m.%Y}: {counts.get('land', 0)} Länder, "
            f"{counts.get('regierungsbezirk', 0)} Regierungsbezirke, {counts.get('kreis', 0)} "
            f"Kreise, {counts.get('verband', 0)} Gemeindeverbände, "
            f"{counts.get('gemeinde', 0)} Gemeinden."
        )
        self.stdout.write(
            f"{report.created} neu, {report.updated} geändert, {report.unchanged} unverändert, "
            f"{report.ended} beendet."
        )
        if report.without_successor:
            self.stdout.write(
                "Ohne erkannten Nachfolger (mit --successor ALT=NEU angeben): "
                + ", ".join(report.without_successor)
            )
