"""verbund ingest-einvoice-mail MAILDIR: receive the e-invoices attached to the mails of a
Maildir folder (XML or PDF attachments), then move each mail to the `verarbeitet` folder.

Run it from cron or a systemd timer against the folder the mail server delivers to the
invoice address. A mail is moved only after all its attachments were handled, so a crash
leaves it to the next run; receipt is idempotent by SHA-256.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verbund.core.errors import DomainError
from verbund.einvoices.actions import receive_invoice
from verbund.einvoices.models import Channel, InvoiceStatus

INVOICE_TYPES = {"application/xml", "text/xml", "application/pdf"}
INVOICE_SUFFIXES = (".xml", ".pdf")


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
            "--processed", default="verarbeitet", help="Unterordner für verarbeitete Mails"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["maildir"]
        if not (path / "new").is_dir() or not (path / "cur").is_dir():
            raise CommandError(f"{path} ist kein Maildir-Ordner (new/ und cur/ fehlen).")
        box = mailbox.Maildir(path, factory=None, create=False)
        processed = box.add_folder(options["processed"])
        counts = {"mails": 0, "received": 0, "rejected": 0, "refused": 0, "known": 0}
        for key in list(box.iterkeys()):
            raw = box.get_bytes(key)
            message = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            sender = parseaddr(str(message.get("From", "")))[1]
            for filename, data in invoice_attachments(message):
                try:
                    receipt = receive_invoice(
                        data=data,
                        channel=Channel.EMAIL,
                        actor="email",
                        filename=filename,
                        supplier_email=sender if "@" in sender else "",
                    )
                except DomainError as exc:
                    counts["refused"] += 1
                    self.stderr.write(f"{filename or '(ohne Namen)'} von {sender}: {exc.message}")
                    continue
                if not receipt.created:
                    counts["known"] += 1
                elif receipt.invoice.status == InvoiceStatus.REJECTED:
                    counts["rejected"] += 1
                else:
                    counts["received"] += 1
            processed.add(mailbox.MaildirMessage(raw))
            box.remove(key)
            counts["mails"] += 1
        self.stdout.write(
            "{mails} Mails verarbeitet: {received} Rechnungen eingegangen, {rejected} abgelehnt, "
            "{refused} nicht prüfbar, {known} bereits bekannt.".format(**counts)
        )
