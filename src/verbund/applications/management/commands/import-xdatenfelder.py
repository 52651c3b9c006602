"""verbund import-xdatenfelder PATH…: import XDatenfelder 2 or 3 files as form versions.

Every file is read and checked first; if any is invalid, the error names the file, the
element and the line, and nothing is imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from verbund.applications.actions import publish_form_version, save_form_version
from verbund.applications.models import FormSource
from verbund.applications.queries import get_service
from verbund.applications.xdatenfelder import ImportedForm, import_xdatenfelder
from verbund.core.errors import DomainError


class Command(BaseCommand):
    help = "Importiert Formulare aus XDatenfelder 2 oder 3 (alles oder nichts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="XML-Dateien oder Ordner")
        parser.add_argument("--service", help="Kurzname der Leistung, der das Formular gehört")
        parser.add_argument("--publish", action="store_true", help="gleich veröffentlichen")

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[Path] = []
        for path in options["paths"]:
            if path.is_dir():
                files.extend(sorted(path.glob("*.xml")))
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{path}: Datei nicht gefunden.")
        imported: list[tuple[Path, ImportedForm]] = []
        for path in files:
            try:
                imported.append((path, import_xdatenfelder(path.read_bytes())))
            except DomainError as exc:
                raise CommandError(f"{path.name}: {exc.message}. Nichts importiert.") from None
        try:
            service = get_service(options["service"]) if options["service"] else None
            with transaction.atomic():
                for path, form in imported:
                    version, created = save_form_version(
                        key=form.key,
                        name=form.name,
                        schema=form.schema,
                        source=FormSource.XDATENFELDER_3
                        if form.version == 3
                        else FormSource.XDATENFELDER_2,
                        service=service,
                        fim_id=form.fim_id,
                        fim_version=form.fim_version,
                        actor="import-xdatenfelder",
                    )
                    if options["publish"]:
                        version = publish_form_version(version=version, actor="import-xdatenfelder")
                    state = "neu" if created else "unverändert"
                    self.stdout.write(
                        f"{path.name}: {form.key} Version {version.number} ({state}, "
                        f"XDatenfelder {form.version}, {version.get_status_display()})"
                    )
                    for warning in form.warnings:
                        self.stdout.write(f"  Hinweis: {warning}")
        except DomainError as exc:
            raise CommandError(f"{exc.message}. Nichts importiert.") from None
        self.stdout.write(self.style.SUCCESS(f"{len(imported)} Formular(e) importiert."))
