"""Pages of the e-invoice receipt: the public upload page for suppliers (no account) and
the authority's inbox with the readable invoice, its validation report and its status."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from verbund.accounts.access import staff_required
from verbund.authorities import queries as authority_queries
from verbund.authorities.queries import authorities_of_staff
from verbund.core.errors import DomainError, NotFound
from verbund.einvoices import actions, explanations, queries, reading, rules
from verbund.einvoices.forms import RejectForm, UploadForm
from verbund.einvoices.models import Channel, Invoice, InvoiceStatus


def _client_ip(request: HttpRequest) -> str | None:
    # As for the login throttle: behind a proxy, the proxy must set REMOTE_ADDR correctly.
    return request.META.get("REMOTE_ADDR") or None


def upload(request: HttpRequest) -> HttpResponse:
    """Suppliers upload an XRechnung without an account; limited per client address."""
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "max_mb": settings.VERBUND_EINVOICE_MAX_BYTES // 2**20}
    if request.method != "POST":
        return render(request, "einvoices/upload.html", context)
    ip_address = _client_ip(request)
    if queries.upload_throttled(ip_address):
        context["error"] = _(
            "Von Ihrer Adresse kamen in kurzer Zeit zu viele Rechnungen. Bitte versuchen Sie es "
            "später erneut oder nutzen Sie die Schnittstelle (API) für Ihr System."
        )
        return render(request, "einvoices/upload.html", context, status=429)
    actions.record_upload_attempt(ip_address=ip_address)
    if not form.is_valid():
        return render(request, "einvoices/upload.html", context, status=400)
    document = form.cleaned_data["document"]
    if document.size > settings.VERBUND_EINVOICE_MAX_BYTES:
        context["error"] = _("Die Rechnung ist größer als %(mb)s MB.") % {"mb": context["max_mb"]}
        return render(request, "einvoices/upload.html", context, status=413)
    if request.POST.get("mode") == "check":
        # "nur prüfen": validation and routing only; nothing is stored, no receipt number.
        try:
            result = queries.check_invoice(document.read())
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, "einvoices/upload.html", context, status=exc.status)
        return render(request, "einvoices/check_result.html", {"result": result})
    try:
        receipt = actions.receive_invoice(
            data=document.read(),
            channel=Channel.UPLOAD,
            actor="upload",
            filename=document.name or "",
        )
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "einvoices/upload.html", context, status=exc.status)
    invoice = receipt.invoice
    return render(
        request,
        "einvoices/upload_receipt.html",
        {
            "invoice": invoice,
            "created": receipt.created,
            "findings": explanations.explain(invoice.findings, _xml_or_none(invoice)),
        },
        status=201 if receipt.created else 200,
    )


def _xml_or_none(invoice: Invoice) -> bytes | None:
    try:
        return queries.invoice_xml(invoice)
    except OSError:
        return None


def leitweg_ids(request: HttpRequest) -> HttpResponse:
    """Public directory of the participating authorities' Leitweg-IDs, with a search."""
    q = request.GET.get("q", "")[:100]
    rows = authority_queries.leitweg_directory(q)
    return render(request, "einvoices/leitweg_ids.html", {"q": q, "rows": rows})


@staff_required
def my_inboxes(request: HttpRequest) -> HttpResponse:
    """The staff member's invoice inboxes: straight to it when there is one."""
    authorities = list(authorities_of_staff(request.user).order_by("name"))
    if len(authorities) == 1:
        return redirect("einvoices:inbox", slug=authorities[0].slug)
    return render(request, "einvoices/my_inboxes.html", {"authorities": authorities})


@staff_required
def inbox(request: HttpRequest, slug: str) -> HttpResponse:
    status = request.GET.get("status", "")
    try:
        authority, invoices = queries.inbox_for_staff(request.user, slug, status=status)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return render(
        request,
        "einvoices/inbox.html",
        {
            "authority": authority,
            "invoices": invoices.select_related("authority")[:500],
            "status": status,
            "statuses": InvoiceStatus.choices,
        },
    )


def _invoice_or_404(request: HttpRequest, invoice_id: UUID) -> Invoice:
    try:
        return queries.get_invoice_for_staff_or_404(request.user, invoice_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


@staff_required
def detail(request: HttpRequest, invoice_id: UUID) -> HttpResponse:
    invoice = _invoice_or_404(request, invoice_id)
    try:
        readable: reading.ReadableInvoice | None = reading.read_invoice(
            queries.invoice_xml(invoice)
        )
        unreadable = ""
    except reading.UnreadableInvoice as exc:
        readable, unreadable = None, exc.message
    transitions = [
        (value, InvoiceStatus(value).label)
        for value in rules.next_statuses(invoice.status)
        if value != InvoiceStatus.REJECTED
    ]
    return render(
        request,
        "einvoices/detail.html",
        {
            "invoice": invoice,
            "doc": readable,
            "unreadable": unreadable,
            "findings": explanations.explain(invoice.findings, _xml_or_none(invoice)),
            "transitions": transitions,
            "can_reject": InvoiceStatus.REJECTED in rules.next_statuses(invoice.status),
            "reject_form": RejectForm(),
            "history": [
                {
                    "at": entry.at,
                    "actor": entry.actor_label,
                    "status": _status_label((entry.after or {}).get("status", "")),
                    "action": _EVENTS.get(entry.action, entry.action),
                    "reasons": entry.details.get("reasons", []),
                }
                for entry in queries.status_history(invoice)
            ],
        },
    )


_EVENTS = {
    "einvoice.received": gettext_lazy("Rechnung eingegangen"),
    "einvoice.rejected": gettext_lazy("Rechnung abgelehnt"),
    "einvoice.status_changed": gettext_lazy("Status geändert"),
}


def _status_label(value: str) -> str:
    return str(InvoiceStatus(value).label) if value in InvoiceStatus.values else ""


@staff_required
def original(request: HttpRequest, invoice_id: UUID) -> HttpResponse:
    """The original file, byte for byte as received."""
    invoice = _invoice_or_404(request, invoice_id)
    extension = "pdf" if invoice.media_type == "application/pdf" else "xml"
    response = HttpResponse(queries.original_bytes(invoice), content_type=invoice.media_type)
    response["Content-Disposition"] = f'attachment; filename="rechnung-{invoice.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
@require_POST
def change_status(request: HttpRequest, invoice_id: UUID) -> HttpResponse:
    invoice = _invoice_or_404(request, invoice_id)
    try:
        actions.change_invoice_status(
            invoice=invoice, to=request.POST.get("status", ""), actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Der Status wurde geändert."))
    return redirect("einvoices:detail", invoice_id=invoice.pk)


@staff_required
@require_POST
def reject(request: HttpRequest, invoice_id: UUID) -> HttpResponse:
    invoice = _invoice_or_404(request, invoice_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte begründen Sie die Ablehnung."))
        return redirect("einvoices:detail", invoice_id=invoice.pk)
    try:
        actions.reject_invoice(
            invoice=invoice, reasons=[form.cleaned_data["reason"]], actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Die Rechnung ist abgelehnt; der Lieferant wird benachrichtigt.")
            if invoice.supplier_email
            else _(
                "Die Rechnung ist abgelehnt. Es ist keine E-Mail-Adresse des Lieferanten bekannt."
            ),
        )
    return redirect("einvoices:detail", invoice_id=invoice.pk)
