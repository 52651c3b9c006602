"""`verbund verify-audit`: check the audit log's hash chain and name every changed,
deleted or inserted entry; exit status 1 when anything was found."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from verbund.core import audit_chain
from verbund.core.models import AuditChainHead


class Command(BaseCommand):
    help = (
        "Prüft die Hash-Kette des Protokolls und nennt veränderte, gelöschte und "
        "eingefügte Einträge."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        findings = list(audit_chain.verify())
        for finding in findings:
            self.stderr.write(f"{finding.kind}: {finding.message}")
        if findings:
            raise CommandError(f"Protokollkette verletzt: {len(findings)} Befund(e).")
        head = AuditChainHead.objects.filter(pk=1).first()
        position, last_hash = (head.position, head.last_hash) if head else (0, "")
        self.stdout.write(f"Protokollkette intakt: {position} Einträge, Ende {last_hash or '-'}.")
