"""verbund fetch-data: bring the official datasets into the data directory, verified.

From the publishers at the releases pinned in the manifest, or with `--from DIR|URL` from a
mirror laid out like the data directory (an offline copy, or CI's `../shared/data`). Every
file is checked against its SHA-256 in the manifest before it is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from verbund.integrations import datasets

# What the platform lacks without a dataset: the paragraph `make demo` prints offline.
EFFECTS = {
    "gv100ad": "das vollständige Gemeindeverzeichnis (die Demo nimmt den mitgelieferten Auszug)",
    "plz": "die vollständige PLZ-Zuordnung (die Demo nimmt den mitgelieferten Auszug)",
    "boundaries": "die Gemeindegrenzen (keine Karten und Flächen)",
    "leika": "der vollständige LeiKa-/OZG-Katalog (die Demo nimmt den mitgelieferten Auszug)",
    "xrechnung-configuration": "die Prüfregeln für E-Rechnungen (die Prüfung antwortet 503)",
    "xrechnung-schematron": "die Prüfregeln für E-Rechnungen (die Prüfung antwortet 503)",
    "en16931": "die Prüfregeln für E-Rechnungen (die Prüfung antwortet 503)",
    "ubl": "die Prüfregeln für E-Rechnungen (die Prüfung antwortet 503)",
    "xrechnung-testsuite": "die Demo-E-Rechnungen aus der KoSIT-Testsuite",
    "dcat": "die DCAT-AP.de-Prüfregeln und Beispielkataloge der offenen Daten",
    "fim": "die XDatenfelder-Beispiele",
}


def missing_paragraph(missing: list[str], directory: Path) -> str:
    """One paragraph: what the platform lacks without these datasets, and the one command."""
    effects: list[str] = []
    for name in missing:
        effect = EFFECTS.get(name)
        if effect and effect not in effects:
            effects.append(effect)
    if not effects:
        return ""
    return (
        f"Die amtlichen Daten fehlen in {directory} (VERBUND_DATA_DIR). Verbund läuft trotzdem, "
        "mit den mitgelieferten Auszügen (Gemeinden, Behörden, LeiKa-Schlüssel); es fehlen: "
        + "; ".join(effects)
        + ". Ein Befehl holt alles und prüft jede Datei gegen das Manifest: "
        "`.venv/bin/verbund fetch-data` (mit Internetzugang, von den Herausgebern) oder "
        "`.venv/bin/verbund fetch-data --from VERZEICHNIS|URL` (aus einem Spiegel wie "
        "../shared/data). Danach `make demo` erneut starten."
    )


class Command(BaseCommand):
    help = (
        "Holt die amtlichen Datensätze (Gemeindeverzeichnis, PLZ, Grenzen, LeiKa, "
        "XRechnung-Regeln) in das Datenverzeichnis und prüft jede Datei gegen das Manifest."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            metavar="DIR|URL",
            help="Spiegel mit dem Aufbau des Datenverzeichnisses (Ordner oder HTTP-Adresse) "
            "statt der Herausgeber.",
        )
        parser.add_argument(
            "--dest",
            type=Path,
            help="Zielverzeichnis (Standard: VERBUND_DATA_DIR).",
        )
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="NAME",
            help="Nur diese Datensätze (wiederholbar; Namen: --list).",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Nur prüfen, ob das Datenverzeichnis dem Manifest entspricht.",
        )
        parser.add_argument(
            "--list", action="store_true", help="Jede Datei mit Quelle, Version, Lizenz, Hash."
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Für `make demo`: holen, was fehlt; offline erklären, was fehlt, und weiter.",
        )
        parser.add_argument(
            "--write-manifest",
            type=Path,
            metavar="DIR",
            help="(Pflege) Die Hashes aller Dateien in DIR ins Manifest schreiben.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        manifest = datasets.load_manifest()
        if options["write_manifest"]:
            count = datasets.write_manifest(options["write_manifest"], manifest)
            self.stdout.write(f"{count} Dateien in {datasets.HASHES.name} gepinnt.")
            return
        chosen = self._choose(manifest, options["only"])
        if options["list"]:
            self._list(chosen)
            return
        directory: Path = options["dest"] or Path(settings.VERBUND_DATA_DIR)
        if options["verify"]:
            self._report(datasets.verify(directory, chosen), directory)
            return
        if options["demo"] and datasets.verify(directory, chosen).ok:
            self.stdout.write(f"Amtliche Daten vollständig und geprüft ({directory}).")
            return
        progress = None if options["verbosity"] == 0 else _progress
        self.stdout.write(f"Datenverzeichnis: {directory}")
        if options["source"]:
            outcome = datasets.fetch_from_mirror(
                source=options["source"], directory=directory, datasets=chosen, progress=progress
            )
        else:
            outcome = datasets.fetch_from_publishers(
                directory=directory,
                datasets=chosen,
                cache=Path(settings.STATE_DIR) / "downloads",
                progress=progress,
                say=self.stdout.write,
            )
        if options["demo"] and not outcome.ok:
            incomplete = sorted(
                {
                    d.name
                    for d in chosen
                    for path, _ in outcome.missing + outcome.refused
                    if d.owns(path)
                }
                | {name for name, _ in outcome.unreachable}
            )
            self.stdout.write(self.style.WARNING(missing_paragraph(incomplete, directory)))
            return
        self._report(outcome, directory)

    def _choose(self, manifest: list[datasets.Dataset], only: list[str]) -> list[datasets.Dataset]:
        names = {n.strip() for value in only for n in value.split(",") if n.strip()}
        unknown = names - {d.name for d in manifest}
        if unknown:
            raise CommandError(
                f"Unbekannte Datensätze: {', '.join(sorted(unknown))} "
                f"(bekannt: {', '.join(d.name for d in manifest)})"
            )
        return [d for d in manifest if not names or d.name in names]

    def _list(self, chosen: list[datasets.Dataset]) -> None:
        for dataset in chosen:
            origin = (
                dataset.publisher.url
                if dataset.publisher
                else f"nur über einen Spiegel: {dataset.mirror_only}"
            )
            self.stdout.write(
                f"# {dataset.name}: {dataset.title}\n#   Quelle: {dataset.source}, "
                f"Version {dataset.version}, Lizenz {dataset.licence}\n#   Bezug: {origin}"
            )
            for path, digest in sorted(dataset.files.items()):
                self.stdout.write(f"{digest}  {path}")

    def _report(self, outcome: datasets.Outcome, directory: Path) -> None:
        for path, why in outcome.refused:
            self.stderr.write(f"ABGELEHNT {path}: {why}")
        for path, why in outcome.missing:
            self.stderr.write(f"FEHLT     {path}: {why}")
        for name, why in outcome.unreachable:
            self.stderr.write(f"NICHT GEHOLT {name}: {why}")
        summary = (
            f"{len(outcome.present)} Dateien vorhanden und geprüft, "
            f"{len(outcome.written)} neu geschrieben, {len(outcome.refused)} abgelehnt, "
            f"{len(outcome.missing)} fehlen"
        )
        if outcome.unreachable:
            summary += f", {len(outcome.unreachable)} Datensätze nicht erreichbar"
        if not outcome.ok:
            raise CommandError(f"{summary} ({directory}).")
        self.stdout.write(self.style.SUCCESS(f"{summary} ({directory})."))


def _progress(**options: Any) -> Any:
    return tqdm(file=sys.stderr, leave=False, **options)
