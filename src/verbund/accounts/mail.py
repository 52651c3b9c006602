"""Mails to account holders, rendered from templates and queued for `verbund worker`."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from verbund.integrations.mail import enqueue_mail


def queue_mail(*, to: str, template: str, context: dict[str, Any]) -> None:
    """Render `accounts/mail/<template>.txt` (first line: subject) and queue it in the
    caller's transaction: the worker sends it with retries, a slow mail server delays no
    page, and a change that rolls back sends nothing (its task rolls back with it)."""
    rendered = render_to_string(f"accounts/mail/{template}.txt", context).strip()
    subject, _, body = rendered.partition("\n")
    enqueue_mail(to=to, subject=subject, body=body)
