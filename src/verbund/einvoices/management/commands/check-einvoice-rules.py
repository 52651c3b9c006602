"""verbund check-einvoice-rules [DIR]: compare a rule directory with the pinned SHA-256 sums."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.einvoices.validation import manifest


class Command(BaseCommand):
    help = (
        "Prüft ein Regelverzeichnis für E-Rechnungen (Standard: VERBUND_EINVOICE_RULES) gegen "
        "die in Verbund hinterlegten SHA-256-Prüfsummen und nennt fehlende und geänderte Dateien."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", nargs="?", type=Path, default=None)
        parser.add_argument(
            "--compile",
            action="store_true",
            help="Also compile all rules (XSD and Schematron) once, as the validation will.",
        )
        parser.add_argument(
            "--write",
            action="store_true",
            help="For maintainers: write the manifest from DIR (after testing a new release).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"] or Path(settings.VERBUND_EINVOICE_RULES)
        if not directory.is_dir():
            raise CommandError(f"Regelverzeichnis {directory} fehlt.")
        if options["write"]:
            count = manifest.write_manifest(directory)
            self.stdout.write(f"{count} Prüfsummen nach {manifest.MANIFEST} geschrieben.")
            return
        result = manifest.check(directory)
        for name in result.missing:
            self.stdout.write(f"FEHLT     {name}")
        for name in result.changed:
            self.stdout.write(f"GEÄNDERT  {name}")
        for name in result.additional:
            self.stdout.write(f"ZUSÄTZLICH {name} (nicht geprüft)")
        self.stdout.write(
            f"{len(result.ok)} Dateien unverändert, {len(result.missing)} fehlen, "
            f"{len(result.changed)} geändert, {len(result.additional)} zusätzlich."
        )
        if options["compile"]:
            from verbund.einvoices.validation import ruleset

            rules = ruleset.load(directory)
            rules.prepare()  # Saxon compiles the fused passes (errors show here, not later)
            self.stdout.write(
                f"{len(rules.scenarios)} Szenarien, {len(rules.stylesheets)} Schematron-Dateien"
                f"{' + Peppol' if rules.peppol else ''} übersetzt in "
                f"{rules.compile_seconds:.1f} s."
            )
        if not result.passed:
            raise CommandError(
                "Das Regelverzeichnis weicht von den geprüften Regeln ab (siehe oben)."
            )
        self.stdout.write(self.style.SUCCESS("Regelverzeichnis in Ordnung."))
