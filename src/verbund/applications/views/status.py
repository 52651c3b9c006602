"""The receipt page and PDF, and the status lookup by number and access code."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from verbund.applications import (
    access_codes,
    extensions,
    queries,
    receipts,
    rules,
)
from verbund.applications.models import Submission
from verbund.applications.views.common import SUBMITTED, _submission
from verbund.core.errors import NotFound


def receipt(request: HttpRequest, number: str) -> HttpResponse:
    submission = _submission(request, number)
    secret = request.session.pop(f"applications.secret.{submission.vorgangsnummer}", "")
    secret = secret or receipts.kept_in_session(request.session, number)["secret"]
    return render(
        request,
        "applications/receipt.html",
        {
            "submission": submission,
            "secret": access_codes.format_access_code(secret) if secret else "",
            "processing_time": queries.processing_time(submission),
            "fee_total": rules.format_money(submission.fee_total),
            "payments": submission.payments.order_by("-created_at"),
            "statuses": _status_steps(submission),
        },
    )


def _status_steps(submission: Submission) -> list[dict[str, Any]]:
    order = [
        Submission.Status.RECEIVED,
        Submission.Status.FORWARDED,
        Submission.Status.IN_PROGRESS,
        Submission.Status.INFORMATION_NEEDED,
        Submission.Status.DECIDED,
        Submission.Status.REJECTED,
        Submission.Status.CLOSED,
    ]
    # Forwarding and rejection are detours: shown only when the case took them.
    detours = {Submission.Status.FORWARDED, Submission.Status.REJECTED}
    return [
        {"label": status.label, "current": submission.status == status}
        for status in order
        if status not in detours or submission.status == status
    ]


def receipt_pdf(request: HttpRequest, number: str) -> HttpResponse:
    submission = _submission(request, number)
    pdf = receipts.render_receipt_pdf(
        submission, receipts.kept_in_session(request.session, submission.vorgangsnummer)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="Eingangsbestaetigung-{submission.vorgangsnummer}.pdf"'
    )
    return response


def status_lookup(request: HttpRequest) -> HttpResponse:
    error = ""
    number = request.POST.get("vorgangsnummer", "").strip().upper()
    status = 200
    if request.method == "POST":
        # The same throttle as the anonymous Postfach: per client and number, per client.
        ip_address = request.META.get("REMOTE_ADDR") or None
        if extensions.access_blocked(vorgangsnummer=number, ip_address=ip_address):
            error = _("Zu viele erfolglose Versuche. Bitte versuchen Sie es später erneut.")
            status = 429
        else:
            try:
                submission = queries.get_submission_for_applicant(
                    number, user=request.user, secret=request.POST.get("zugangscode", "")
                )
            except NotFound as exc:
                extensions.record_access_failure(vorgangsnummer=number, ip_address=ip_address)
                error, status = exc.message, 404
            else:
                numbers = list(request.session.get(SUBMITTED, []))
                request.session[SUBMITTED] = [*numbers[-19:], submission.vorgangsnummer]
                return redirect("applications:receipt", number=submission.vorgangsnummer)
    return render(
        request,
        "applications/status_lookup.html",
        {"error": error, "number": number},
        status=status,
    )
