"""Writes of the e-invoice inbox: receipt (validate, route, store), status changes,
rejection with a notice to the supplier, and the suppliers' API keys."""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.core.audit import Actor, record_audit, snapshot
from verbund.core.errors import InvalidInput
from verbund.einvoices import queries, reading, rules, validation
from verbund.einvoices.models import Invoice, InvoiceStatus, SupplierApiKey, UploadAttempt
from verbund.einvoices.validation import Report

logger = logging.getLogger("verbund.einvoices")


@dataclass(frozen=True)
class Receipt:
    invoice: Invoice
    created: bool  # False: the same bytes had been received before
    report: Report | None = None


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_route = queries.route_leitweg_id


def _amount(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal("0.01"))


def receive_invoice(
    *,
    data: bytes,
    channel: str,
    actor: Actor,
    filename: str = "",
    supplier_email: str = "",
    api_key: SupplierApiKey | None = None,
    report: validation.Report | None = None,
) -> Receipt:
    """Validate, route by Leitweg-ID and store an e-invoice; unchanged bytes received before
    return the first receipt. Raises Unexaminable for a document that cannot be examined.

    A valid invoice for a participating authority is `eingegangen`; any other is kept as
    `abgelehnt` with the reasons, and the supplier gets a notice after the commit.

    `report`: the validation report of exactly these bytes when it was made elsewhere
    (bulk receipt validates in worker processes, see `validation.pool`)."""
    _check_size(data)
    sha256 = _hash(data)
    existing = queries.invoice_by_sha256(sha256)
    if existing is not None:
        return Receipt(invoice=existing, created=False)
    # Validation is the slow part and touches no database: outside the transaction.
    if report is None:
        report = validation.validate(data)
    try:
        readable: reading.ReadableInvoice | None = reading.read_invoice(report.xml or data)
    except reading.UnreadableInvoice:
        readable = None
    leitweg_id = readable.buyer_reference if readable else ""
    authority, routing_problem = _route(leitweg_id)
    reasons = _rejection_reasons(report, routing_problem)
    names = _store_documents(data, report, sha256)
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                authority=authority,
                leitweg_id=leitweg_id[:100],
                status=InvoiceStatus.REJECTED if reasons else InvoiceStatus.RECEIVED,
                channel=channel,
                api_key=api_key,
                received_at=timezone.now(),
                storage_name=names[0],
                xml_storage_name=names[1] if len(names) > 1 else "",
                filename=filename[:200],
                media_type=_media_type(report),
                size=len(data),
                sha256=sha256,
                valid=report.valid,
                report=report.to_dict(),
                syntax=report.syntax,
                document_type=report.document_type,
                supplier_email=(
                    supplier_email
                    or (api_key.contact_email if api_key else "")
                    or (readable.supplier_email if readable else "")
                )[:254],
                rejection_reasons=reasons,
                **_read_fields(readable),
            )
            _audit_receipt(invoice, actor=actor, channel=channel, reasons=reasons)
    except IntegrityError:
        # The same bytes arrived in parallel and won the race: theirs is the receipt.
        _delete_documents(names)
        existing = queries.invoice_by_sha256(sha256)
        if existing is None:
            raise
        return Receipt(invoice=existing, created=False)
    except BaseException:
        _delete_documents(names)
        raise
    return Receipt(invoice=invoice, created=True, report=report)


def _check_size(data: bytes) -> None:
    if len(data) > settings.VERBUND_EINVOICE_MAX_BYTES:
        raise InvalidInput(
            _("Die Rechnung ist größer als %(mb)s MB.")
            % {"mb": f"{settings.VERBUND_EINVOICE_MAX_BYTES / 1024 / 1024:g}".replace(".", ",")},
            code="too_large",
            status=413,
        )


def _rejection_reasons(report: validation.Report, routing_problem: str) -> list[str]:
    """Why the invoice is rejected (not a valid XRechnung, not routable); empty if it is not."""
    reasons: list[str] = []
    if not report.valid:
        fatal = [f for f in report.findings if str(f.severity) == "fatal"]
        reasons.append(
            _(
                "Die Rechnung ist keine gültige XRechnung: %(n)d Regel(n) verletzt "
                "(siehe Prüfbericht)."
            )
            % {"n": len(fatal)}
        )
    if routing_problem:
        reasons.append(routing_problem)
    return reasons


def _media_type(report: validation.Report) -> str:
    return "application/pdf" if report.source_format == "pdf" else "application/xml"


def _store_documents(data: bytes, report: validation.Report, sha256: str) -> list[str]:
    """The received bytes in the invoice storage, and for a hybrid PDF also its embedded XML:
    their storage names, the received document first."""
    storage = queries.invoice_storage()
    suffix = "pdf" if _media_type(report) == "application/pdf" else "xml"
    names = [storage.save(f"{timezone.now():%Y/%m}/{sha256}.{suffix}", ContentFile(data))]
    if report.source_format == "pdf":
        names.append(storage.save(f"{timezone.now():%Y/%m}/{sha256}.xml", ContentFile(report.xml)))
    return names


def _delete_documents(names: list[str]) -> None:
    storage = queries.invoice_storage()
    for stored in names:
        storage.delete(stored)


def _read_fields(readable: reading.ReadableInvoice | None) -> dict[str, Any]:
    """The invoice's columns read from its content (number, date, seller, amounts)."""
    if readable is None:
        return {"invoice_number": "", "issue_date": None, "seller_name": "", "currency": ""}
    return {
        "invoice_number": readable.number[:200],
        "issue_date": readable.issue_date,
        "seller_name": readable.seller.display_name[:300],
        "currency": readable.currency[:3],
        "net_total": _amount(readable.totals.tax_exclusive),
        "gross_total": _amount(readable.totals.tax_inclusive),
        "payable_amount": _amount(readable.totals.payable),
    }


def _audit_receipt(invoice: Invoice, *, actor: Actor, channel: str, reasons: list[str]) -> None:
    record_audit(
        action="einvoice.received",
        actor=actor,
        obj=invoice,
        after=snapshot(invoice, exclude=("report",)),
        channel=channel,
        sha256=invoice.sha256,
    )
    if reasons:
        record_audit(
            action="einvoice.rejected",
            actor=actor,
            obj=invoice,
            after={"status": invoice.status},
            reasons=reasons,
        )
        _send_rejection_notice_after_commit(invoice)


@transaction.atomic
def change_invoice_status(*, invoice: Invoice, to: str, actor: Actor) -> Invoice:
    """Move the invoice on (geprüft, angewiesen, bezahlt); rejection is `reject_invoice`."""
    if to == InvoiceStatus.REJECTED:
        raise InvalidInput(_("Bitte begründen Sie die Ablehnung."), code="reason_required")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    rules.ensure_transition(invoice.status, to)
    before = {"status": invoice.status}
    invoice.status = to
    invoice.save(update_fields=["status", "updated_at"])
    record_audit(
        action="einvoice.status_changed",
        actor=actor,
        obj=invoice,
        before=before,
        after={"status": invoice.status},
    )
    return invoice


@transaction.atomic
def reject_invoice(*, invoice: Invoice, reasons: list[str], actor: Actor) -> Invoice:
    """Reject the invoice with the reasons; the supplier is told after the commit."""
    reasons = [r.strip() for r in reasons if r and r.strip()]
    if not reasons:
        raise InvalidInput(_("Bitte begründen Sie die Ablehnung."), code="reason_required")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    rules.ensure_transition(invoice.status, InvoiceStatus.REJECTED)
    before = {"status": invoice.status}
    invoice.status = InvoiceStatus.REJECTED
    invoice.rejection_reasons = [*invoice.rejection_reasons, *reasons]
    invoice.save(update_fields=["status", "rejection_reasons", "updated_at"])
    record_audit(
        action="einvoice.rejected",
        actor=actor,
        obj=invoice,
        before=before,
        after={"status": invoice.status},
        reasons=reasons,
    )
    _send_rejection_notice_after_commit(invoice)
    return invoice


def _send_rejection_notice_after_commit(invoice: Invoice) -> None:
    """Queue the rejection notice to the supplier in the rejecting transaction; the worker
    sends it after the commit."""
    if not invoice.supplier_email:
        return
    from verbund.einvoices.tasks import send_rejection_notice as notice_task

    notice_task.enqueue(invoice_id=str(invoice.pk))


def send_rejection_notice(*, invoice_id: str) -> bool:
    """The rejection notice (reasons and fatal findings) to the supplier, once; runs in the
    worker. A notice already sent is not sent again."""
    invoice = Invoice.objects.filter(pk=invoice_id, notice_sent_at__isnull=True).first()
    if invoice is None or not invoice.supplier_email:
        return False
    fatal = [f for f in invoice.findings if f.get("severity") == "fatal"]
    rendered = render_to_string(
        "einvoices/mail/rejected.txt",
        {"invoice": invoice, "reasons": invoice.rejection_reasons, "findings": fatal},
    ).strip()
    subject, _sep, body = rendered.partition("\n")
    send_mail(subject.strip(), body.strip() + "\n", None, [invoice.supplier_email])
    Invoice.objects.filter(pk=invoice_id).update(notice_sent_at=timezone.now())
    return True


# Throttle of the public upload page


@transaction.atomic
def record_upload_attempt(
    *, ip_address: str | None, purpose: str = UploadAttempt.Purpose.UPLOAD
) -> None:
    """Count an upload (or a check through the public API); rows outside the window are
    dropped on the way."""
    now = timezone.now()
    UploadAttempt.objects.filter(
        at__lt=now - datetime.timedelta(seconds=settings.VERBUND_EINVOICE_UPLOAD_WINDOW)
    ).delete()
    UploadAttempt.objects.create(ip_address=ip_address, purpose=purpose)


# Suppliers' API keys


@transaction.atomic
def issue_api_key(
    *, name: str, contact_email: str = "", actor: Actor
) -> tuple[SupplierApiKey, str]:
    """A new API key for a supplier's system; the key itself is returned once, never stored."""
    prefix = secrets.token_hex(4)
    key = f"vbe_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = SupplierApiKey.objects.create(
        name=name, contact_email=contact_email, prefix=prefix, key_hash=_hash(key.encode())
    )
    record_audit(action="einvoice.api_key_issued", actor=actor, obj=api_key, name=name)
    return api_key, key


@transaction.atomic
def revoke_api_key(*, api_key: SupplierApiKey, actor: Actor) -> SupplierApiKey:
    api_key.active = False
    api_key.save(update_fields=["active", "updated_at"])
    record_audit(action="einvoice.api_key_revoked", actor=actor, obj=api_key)
    return api_key


def touch_api_key(api_key: SupplierApiKey) -> None:
    """Note when a key was last used (no audit row: this is not a change of state)."""
    SupplierApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
