"""The e-invoice API: validate a document, receive it (suppliers' systems, API key), and
the inbox for staff.

- `POST /einvoices/validate`: the XML or PDF as request body → 200 with the report for
  every document that could be examined (valid or not), 4xx problem JSON otherwise.
- `POST /einvoices` (header `X-API-Key`): receive and route → 201 with id and status;
  a rejected invoice → 422 with the reasons and the same findings.
- `GET /einvoices`, `GET /einvoices/{id}`: the invoices of the staff member's authorities.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.security import APIKeyHeader

from verbund.accounts.access import staff_session_auth
from verbund.core.errors import InvalidInput, TooManyRequests
from verbund.core.schemas import Problem
from verbund.einvoices import actions, queries, validation
from verbund.einvoices.models import (
    Channel,
    Invoice,
    InvoiceStatus,
    SupplierApiKey,
    UploadAttempt,
)

router = Router(tags=["E-Rechnung"])

MEDIA_TYPES = ["application/xml", "text/xml", "application/pdf"]


class SupplierKey(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> SupplierApiKey | None:
        return queries.api_key_for(key) if key else None


class FindingOut(Schema):
    rule: str
    severity: str
    location: str
    message: str


class ReportOut(Schema):
    valid: bool
    syntax: str
    scenario: str | None
    findings: list[FindingOut]


class InvoiceOut(Schema):
    id: uuid.UUID
    status: str
    valid: bool
    syntax: str
    scenario: str | None
    leitwegId: str
    authority: str | None
    invoiceNumber: str
    sellerName: str
    payableAmount: str | None
    currency: str
    receivedAt: str
    sha256: str
    rejectionReasons: list[str]
    findings: list[FindingOut]


def _body(request: HttpRequest) -> bytes:
    """The request body, read no further than the size limit allows."""
    limit = settings.VERBUND_EINVOICE_MAX_BYTES
    data: bytes = request.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(
            f"Die Rechnung ist größer als {limit // 2**20} MB.", code="too_large", status=413
        )
    return data


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "status": invoice.status,
        "valid": invoice.valid,
        "syntax": invoice.syntax,
        "scenario": invoice.report.get("scenario"),
        "leitwegId": invoice.leitweg_id,
        "authority": invoice.authority.slug if invoice.authority else None,
        "invoiceNumber": invoice.invoice_number,
        "sellerName": invoice.seller_name,
        "payableAmount": str(invoice.payable_amount)
        if invoice.payable_amount is not None
        else None,
        "currency": invoice.currency,
        "receivedAt": invoice.received_at.isoformat(),
        "sha256": invoice.sha256,
        "rejectionReasons": list(invoice.rejection_reasons),
        "findings": invoice.findings,
    }


@router.post(
    "/einvoices/validate",
    response={200: ReportOut, 413: Problem, 422: Problem, 429: Problem},
    summary="E-Rechnung prüfen (ohne Einreichen)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES},
        }
    },
)
def validate_invoice(request: HttpRequest) -> dict[str, Any]:
    """XRechnung (UBL or CII) or ZUGFeRD/Factur-X PDF as the body. 200 with the findings
    for every document that could be examined, valid or not.

    Without a supplier's API key (`X-API-Key`) the checks are limited per client address
    (429 with `Retry-After` beyond the limit): each one costs real CPU time."""
    key = request.headers.get("X-API-Key", "")
    if not (key and queries.api_key_for(key)):
        # As for the login throttle: behind a proxy, the proxy must set REMOTE_ADDR.
        ip_address = request.META.get("REMOTE_ADDR") or None
        if queries.upload_throttled(ip_address, UploadAttempt.Purpose.VALIDATE):
            raise TooManyRequests(
                "Von Ihrer Adresse kamen in kurzer Zeit zu viele Prüfungen. Bitte versuchen "
                "Sie es später erneut oder prüfen Sie mit dem API-Schlüssel Ihres Systems.",
                retry_after=settings.VERBUND_EINVOICE_UPLOAD_WINDOW,
            )
        actions.record_upload_attempt(ip_address=ip_address, purpose=UploadAttempt.Purpose.VALIDATE)
    return validation.validate(_body(request)).to_dict()


@router.post(
    "/einvoices",
    auth=SupplierKey(),
    response={
        200: InvoiceOut,
        201: InvoiceOut,
        401: Problem,
        413: Problem,
        422: InvoiceOut | Problem,
    },
    summary="E-Rechnung einreichen (Lieferantensystem, API-Schlüssel)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES},
        }
    },
)
def receive(request: HttpRequest) -> Status[dict[str, Any]]:
    """Receive, validate and route by Leitweg-ID (BT-10). 201: received; 200: the same
    file was received before; 422: rejected, with the reasons and the findings."""
    api_key: SupplierApiKey = request.auth  # type: ignore[attr-defined]
    actions.touch_api_key(api_key)
    receipt = actions.receive_invoice(
        data=_body(request),
        channel=Channel.API,
        actor=f"api:{api_key.prefix}",
        api_key=api_key,
        filename=request.headers.get("X-Filename", "")[:200],
    )
    body = invoice_out(receipt.invoice)
    if receipt.invoice.status == InvoiceStatus.REJECTED:
        return Status(422, body)
    return Status(201 if receipt.created else 200, body)


@router.get(
    "/einvoices",
    auth=staff_session_auth,
    response={200: list[InvoiceOut], 401: Problem},
    summary="Eingegangene Rechnungen der eigenen Behörden",
)
def list_invoices(request: HttpRequest, status: str = "", limit: int = 100) -> list[dict[str, Any]]:
    invoices = queries.invoices_for_staff(request.user).order_by("-received_at")
    if status:
        invoices = invoices.filter(status=status)
    return [invoice_out(i) for i in invoices[: max(1, min(limit, 500))]]


@router.get(
    "/einvoices/{invoice_id}",
    auth=staff_session_auth,
    response={200: InvoiceOut, 401: Problem, 404: Problem},
    summary="Eine eingegangene Rechnung (Status, Prüfbericht)",
)
def get_invoice(request: HttpRequest, invoice_id: uuid.UUID) -> dict[str, Any]:
    return invoice_out(queries.get_invoice_for_staff_or_404(request.user, invoice_id))
