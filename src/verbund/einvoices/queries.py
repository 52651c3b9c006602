"""Reads of the e-invoice inbox. Staff see the invoices of their own authorities only;
everyone else gets 404 (not even whether an invoice exists)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.storage import Storage, storages
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.authorities import queries as authority_queries
from verbund.authorities.queries import get_authority_for_staff_or_404, memberships_of
from verbund.authorities.types import Authority
from verbund.core.errors import DomainError, NotFound
from verbund.core.models import AuditEntry
from verbund.einvoices.models import Invoice, InvoiceStatus, SupplierApiKey, UploadAttempt

User = AbstractBaseUser | AnonymousUser


def invoice_storage() -> Storage:
    return storages["einvoices"]


def invoice_by_sha256(sha256: str) -> Invoice | None:
    return Invoice.objects.select_related("authority").filter(sha256=sha256).first()


def inbox_for_staff(
    user: User, slug: str, *, status: str = ""
) -> tuple[Authority, QuerySet[Invoice]]:
    """The authority's invoices, newest first, optionally of one status."""
    authority = get_authority_for_staff_or_404(user, slug)
    invoices = Invoice.objects.filter(authority=authority).order_by("-received_at")
    if status in InvoiceStatus.values:
        invoices = invoices.filter(status=status)
    return authority, invoices


def invoices_for_staff(user: User) -> QuerySet[Invoice]:
    """Invoices of every authority the user is an active member of."""
    authority_ids = memberships_of(user).values("authority_id")
    return Invoice.objects.filter(authority_id__in=authority_ids).select_related("authority")


def get_invoice_for_staff_or_404(user: User, pk: Any) -> Invoice:
    invoice = invoices_for_staff(user).filter(pk=pk).first() if _is_uuid(pk) else None
    if invoice is None:
        raise NotFound("Nicht gefunden.", code="not_found")
    return invoice


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def original_bytes(invoice: Invoice) -> bytes:
    with invoice_storage().open(invoice.storage_name, "rb") as fh:
        data: bytes = fh.read()
    return data


def invoice_xml(invoice: Invoice) -> bytes:
    """The XML invoice: the original, or the XML embedded in a ZUGFeRD/Factur-X PDF."""
    if not invoice.xml_storage_name:
        return original_bytes(invoice)
    with invoice_storage().open(invoice.xml_storage_name, "rb") as fh:
        data: bytes = fh.read()
    return data


def status_history(invoice: Invoice) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        object_type=invoice._meta.label_lower, object_id=str(invoice.pk)
    ).order_by("at", "id")


def api_key_for(secret: str) -> SupplierApiKey | None:
    """The active key whose SHA-256 matches; compared in constant time."""
    parts = secret.split("_")
    if len(parts) < 3 or parts[0] != "vbe":
        return None
    key = SupplierApiKey.objects.filter(prefix=parts[1], active=True).first()
    digest = hashlib.sha256(secret.encode()).hexdigest()
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        return None
    return key


def upload_throttled(ip_address: str | None, purpose: str = UploadAttempt.Purpose.UPLOAD) -> bool:
    """Whether the address has used up its uploads (or API checks) within the window."""
    limit = (
        settings.VERBUND_EINVOICE_VALIDATE_LIMIT
        if purpose == UploadAttempt.Purpose.VALIDATE
        else settings.VERBUND_EINVOICE_UPLOAD_LIMIT
    )
    since = timezone.now() - datetime.timedelta(seconds=settings.VERBUND_EINVOICE_UPLOAD_WINDOW)
    count = UploadAttempt.objects.filter(
        purpose=purpose, ip_address=ip_address, at__gte=since
    ).count()
    return count >= limit


# --- usage metering (read by costs) ---------------------------------------------------------


def invoices_per_authority(start: datetime.datetime, end: datetime.datetime) -> dict[int, int]:
    """Invoices received for each authority in [start, end)."""
    rows = (
        Invoice.objects.filter(received_at__gte=start, received_at__lt=end, authority__isnull=False)
        .values("authority_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["authority_id"]: r["n"] for r in rows}


def invoice_bytes_per_authority(end: datetime.datetime) -> dict[int, int]:
    """Bytes of the invoices stored for each authority, received before `end`."""
    rows = (
        Invoice.objects.filter(received_at__lt=end, authority__isnull=False)
        .values("authority_id")
        .annotate(n=Sum("size"))
        .order_by()
    )
    return {r["authority_id"]: int(r["n"] or 0) for r in rows}


def invoice_facts() -> list[dict[str, Any]]:
    """One row per received e-invoice for the aggregate figures: receiving authority, month
    of receipt and status; no amounts, no parties."""
    return [
        {**row, "rejected": row["status"] == InvoiceStatus.REJECTED}
        for row in Invoice.objects.values("authority_id", "received_at", "status")
    ]


def route_leitweg_id(leitweg_id: str) -> tuple[Any, str]:
    """The authority for BT-10 and, when there is none, the reason in German."""
    if not leitweg_id:
        return None, _(
            "Die Rechnung enthält keine Leitweg-ID (Käuferreferenz, BT-10); sie kann keiner "
            "Behörde zugestellt werden."
        )
    try:
        authority = authority_queries.authority_for_leitweg_id(leitweg_id)
    except DomainError as exc:
        return None, exc.message
    if not authority.is_tenant:
        return None, _("Die Behörde „%(name)s“ empfängt über diese Plattform keine Rechnungen.") % {
            "name": authority.name
        }
    return authority, ""


@dataclass(frozen=True)
class CheckResult:
    """What "nur prüfen" tells a supplier: nothing is stored, no receipt number is given."""

    valid: bool
    leitweg_id: str
    authority: Any
    routing_problem: str
    findings: list[Any]


def check_invoice(data: bytes) -> CheckResult:
    """Validate and route an invoice without receiving it (raises Unexaminable like the
    receipt for a document that cannot be examined)."""
    from verbund.einvoices import explanations, reading, validation

    report = validation.validate(data)
    try:
        readable = reading.read_invoice(report.xml or data)
        leitweg_id = readable.buyer_reference
    except reading.UnreadableInvoice:
        leitweg_id = ""
    authority, problem = route_leitweg_id(leitweg_id)
    return CheckResult(
        valid=report.valid,
        leitweg_id=leitweg_id,
        authority=authority,
        routing_problem=problem,
        findings=explanations.explain(report.to_dict()["findings"], report.xml or data),
    )
