"""Mails to account holders, rendered from templates and sent after the commit."""

from __future__ import annotations

from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string


def send_after_commit(*, to: str, template: str, context: dict[str, Any]) -> None:
    """Render `accounts/mail/<template>.txt` (first line: subject) and send it once the
    surrounding transaction has committed, so no mail announces a change that rolled back."""
    rendered = render_to_string(f"accounts/mail/{template}.txt", context).strip()
    subject, _, body = rendered.partition("\n")

    def send() -> None:
        send_mail(subject.strip(), body.strip() + "\n", None, [to])

    transaction.on_commit(send)
