"""verbund ingest-einvoice-mail MAILDIR: receive the e-invoices attached to the mails of a
Maildir folder (XML or PDF attachments), then move each mail to the `verarbeitet` folder.

Run it from cron or a systemd timer against the folder the mail server delivers to the
invoice address. A mail is moved only after all its attachments were handled, so a crash
leaves it to the next run; receipt is idempotent by SHA-256.

Mails are taken in batches; when a batch holds enough invoices, they are validated in a
pool of worker processes (`--processes`, default: one per CPU), the slow part, and then
received one after the other with those reports (docs/decisions/0018-einvoice-speed.md).
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import os
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.core.errors import DomainError
from verbund.einvoices.actions import receive_invoice
from verbund.einvoices.models import Channel, InvoiceStatus
from verbund.einvoices.validation import Report, Unexaminable
from verbund.einvoices.validation.pool import ValidationPool

INVOICE_TYPES = {"application/xml", "text/xml", "application/pdf"}
INVOICE_SUFFIXES = (".xml", ".pdf")
BATCH_MAILS = 64  # mails read per batch (bounded memory)
POOL_MIN_INVOICES = 8  # fewer invoices than this per worker start are validated in place


def invoice_attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every attachment that may be an e-invoice."""
    found = []
    for part in message.iter_attachments():
        if not isinstance(part, EmailMessage):
            continue
        filename = part.get_filename() or ""
        if part.get_content_type() in INVOICE_TYPES or filename.lower().endswith(INVOICE_SUFFIXES):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload:
                found.append((filename, payload))
    return found


class Command(BaseCommand):
    help = "Liest E-Rechnungen aus einem Maildir-Ordner und verschiebt verarbeitete Mails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("maildir", type=Path, help="Maildir-Ordner (mit cur/, new/, tmp/)")
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="Prozesse für die Prüfung (Standard: einer je CPU; 1: ohne Prozesspool)",
        )
        parser.add_argument(
            "--pool-min",
            type=int,
            default=POOL_MIN_INVOICES,
            help="Rechnungen je Stapel, ab denen der Prozesspool prüft",
        )
        parser.add_argument(
            "--processed", default="verarbeitet", help="Unterordner für verarbeitete Mails"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["maildir"]
        if not (path / "new").is_dir() or not (path / "cur").is_dir():
            raise CommandError(f"{path} ist kein Maildir-Ordner (new/ und cur/ fehlen).")
        if options["processes"] < 1:
            raise CommandError("--processes muss mindestens 1 sein.")
        box = mailbox.Maildir(path, factory=None, create=False)
        processed = box.add_folder(options["processed"])
        self.counts = {"mails": 0, "received": 0, "rejected": 0, "refused": 0, "known": 0}
        pool: ValidationPool | None = None
        try:
            keys = list(box.iterkeys())
            for start in range(0, len(keys), BATCH_MAILS):
                batch = []
                for key in keys[start : start + BATCH_MAILS]:
                    raw = box.get_bytes(key)
                    message = email.message_from_bytes(raw, policy=email.policy.default)
                    assert isinstance(message, EmailMessage)
                    sender = parseaddr(str(message.get("From", "")))[1]
                    batch.append((key, raw, sender, invoice_attachments(message)))
                documents = [data for *_, attachments in batch for _, data in attachments]
                reports: list[Report | Unexaminable | None] = [None] * len(documents)
                if options["processes"] > 1 and len(documents) >= options["pool_min"]:
                    if pool is None:
                        pool = ValidationPool(options["processes"])
                    reports = list(pool.validate_many(documents))
                outcomes = iter(reports)
                for key, raw, sender, attachments in batch:
                    for filename, data in attachments:
                        self._receive(filename, data, sender, next(outcomes))
                    processed.add(mailbox.MaildirMessage(raw))
                    box.remove(key)
                    self.counts["mails"] += 1
        finally:
            if pool is not None:
                pool.close()
        self.stdout.write(
            "{mails} Mails verarbeitet: {received} Rechnungen eingegangen, {rejected} abgelehnt, "
            "{refused} nicht prüfbar, {known} bereits bekannt.".format(**self.counts)
        )

    def _receive(
        self, filename: str, data: bytes, sender: str, outcome: Report | Unexaminable | None
    ) -> None:
        try:
            if isinstance(outcome, Unexaminable):
                raise outcome
            receipt = receive_invoice(
                data=data,
                channel=Channel.EMAIL,
                actor="email",
                filename=filename,
                supplier_email=sender if "@" in sender else "",
                report=outcome,
            )
        except DomainError as exc:
            self.counts["refused"] += 1
            self.stderr.write(f"{filename or '(ohne Namen)'} von {sender}: {exc.message}")
            return
        if not receipt.created:
            self.counts["known"] += 1
        elif receipt.invoice.status == InvoiceStatus.REJECTED:
            self.counts["rejected"] += 1
        else:
            self.counts["received"] += 1
