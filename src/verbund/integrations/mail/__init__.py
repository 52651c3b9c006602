"""Outgoing e-mail: queued in the transaction of the change it announces and sent by
`verbund worker` through Django's mail backend (SMTP in production), never inside a request.

A slow or unreachable mail server then delays no page, and a change that rolls back sends
no mail (its task row rolls back with it)."""

from __future__ import annotations

import uuid

from django.core.mail import send_mail
from django.db import transaction

from verbund.core.audit import record_audit
from verbund.core.models import AuditEntry
from verbund.core.tasks import background

SENT = "mail.sent"


def enqueue_mail(*, to: str, subject: str, body: str) -> None:
    """Queue one plain-text mail to one address, inside the caller's transaction."""
    deliver_mail.enqueue(
        to=to, subject=subject.strip(), body=body.strip() + "\n", key=str(uuid.uuid4())
    )


@background(max_attempts=6, deadline=30, backoff=60)
def deliver_mail(*, to: str, subject: str, body: str, key: str) -> bool:
    """Send the mail unless `key` was already sent (a retried task sends it once; only a
    worker killed between the SMTP answer and the record can send it twice). The audit entry
    names the key only, never the address or the text."""
    if AuditEntry.objects.filter(action=SENT, object_type="mail", object_id=key).exists():
        return False
    send_mail(subject, body, None, [to])
    with transaction.atomic():
        record_audit(action=SENT, actor="worker", object_type="mail", object_id=key)
    return True
