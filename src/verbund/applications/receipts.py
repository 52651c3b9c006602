"""The Eingangsbestätigung (receipt) as a tagged PDF (PDF/UA-1), rendered with WeasyPrint.

It names the Vorgangsnummer, the service, the receiving authority and the basis of its
responsibility, the time of receipt, what happens next, and, when it is rendered in the
applicant's session right after submitting, the submitted data with the form's labels and
the access code. The platform keeps no readable copy of the data (it is sealed for the
authority): the data travels only in the applicant's session, encrypted with the
platform's profile keys, until the session ends."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.template.loader import render_to_string
from django.utils import timezone, translation

from verbund.applications.access_codes import format_access_code
from verbund.applications.models import Submission
from verbund.applications.rules import format_money
from verbund.core.encryption import decrypt, encrypt

SESSION_PREFIX = "applications.receipt."


def keep_in_session(
    session: SessionBase, number: str | None, *, secret: str, sections: list[dict[str, Any]]
) -> None:
    """Remember the access code and the summary of a submission for its receipt page and
    PDF in this session (encrypted: the session table is no place for plain personal data)."""
    rows = [
        {"title": s["title"], "rows": [[label, value] for label, value, *_rest in s["rows"]]}
        for s in sections
    ]
    session[f"{SESSION_PREFIX}{number}"] = encrypt(json.dumps({"secret": secret, "sections": rows}))


def kept_in_session(session: SessionBase, number: str | None) -> dict[str, Any]:
    stored = session.get(f"{SESSION_PREFIX}{number}")
    if not stored:
        return {"secret": "", "sections": []}
    try:
        kept: dict[str, Any] = json.loads(decrypt(stored))
    except Exception:  # a rotated key or a damaged session: the receipt without them
        return {"secret": "", "sections": []}
    return kept


def receipt_context(submission: Submission, kept: dict[str, Any] | None = None) -> dict[str, Any]:
    kept = kept or {}
    secret = str(kept.get("secret") or "")
    return {
        "submission": submission,
        "submitted_at": timezone.localtime(submission.submitted_at)
        if submission.submitted_at
        else None,
        "fee_total": format_money(submission.fee_total),
        "attachments": submission.attachments.order_by("id"),
        "sections": kept.get("sections") or [],
        "secret": format_access_code(secret) if secret else "",
        "service_name": submission.service.name,
    }


def render_receipt_pdf(submission: Submission, kept: dict[str, Any] | None = None) -> bytes:
    """The receipt as PDF/UA-1: tagged structure, document language and title, so that a
    screen reader reads it like the page."""
    from weasyprint import HTML  # imported late: it loads Pango, which costs time at start

    context = receipt_context(submission, kept)
    context["lang"] = translation.get_language() or "de"
    html = render_to_string("applications/receipt_pdf.html", context)
    pdf: bytes = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    return pdf


def receipt_text(submission: Submission) -> str:
    """What the receipt says in words: received, by whom, what happens next."""
    return render_to_string(
        "applications/mail/receipt_body.txt",
        {
            "submission": submission,
            "submitted_at": timezone.localtime(submission.submitted_at)
            if submission.submitted_at
            else None,
        },
    ).strip()


def mail_access_code(*, submission: Submission, email: str, secret: str) -> None:
    """Send number and access code to the address the applicant gave, through the mail
    task (inside the caller's transaction). The mail holds no form data."""
    from django.conf import settings
    from django.urls import reverse

    from verbund.integrations.mail import enqueue_mail

    portal = settings.VERBUND_PORTAL_URL.rstrip("/")
    rendered = render_to_string(
        "applications/mail/access_code.txt",
        {
            "submission": submission,
            "access_code": format_access_code(secret),
            "body": receipt_text(submission),
            "status_url": portal + reverse("applications:status_lookup"),
            "postfach_url": portal + reverse("mailbox:anonymous_access"),
        },
    ).strip()
    subject, _sep, text = rendered.partition("\n")
    enqueue_mail(to=email, subject=subject, body=text)
