"""The Eingangsbestätigung (receipt) as PDF, rendered from a template with WeasyPrint.

It names the Vorgangsnummer, the service, the receiving authority and the basis of its
responsibility, the time of receipt and the SHA-256 of the submitted data, so the applicant
can later prove what was received. It holds no form data: the platform cannot read it."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from verbund.applications.models import Submission
from verbund.applications.rules import format_money


def receipt_context(submission: Submission) -> dict[str, object]:
    return {
        "submission": submission,
        "submitted_at": timezone.localtime(submission.submitted_at)
        if submission.submitted_at
        else None,
        "fee_total": format_money(submission.fee_total),
        "attachments": submission.attachments.order_by("id"),
    }


def render_receipt_pdf(submission: Submission) -> bytes:
    from weasyprint import HTML  # imported late: it loads Pango, which costs time at start

    html = render_to_string("applications/receipt_pdf.html", receipt_context(submission))
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
