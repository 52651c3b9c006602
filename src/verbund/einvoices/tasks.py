"""Outbound work of the e-invoice inbox, run by `verbund worker`, never inside a request."""

from __future__ import annotations

from verbund.core.tasks import background


@background(max_attempts=6, deadline=30, backoff=60)
def send_rejection_notice(*, invoice_id: str) -> bool:
    """Mail the rejection notice to the supplier; idempotent (a notice already sent, as
    `notice_sent_at` records, is not sent again)."""
    from verbund.einvoices import actions

    return actions.send_rejection_notice(invoice_id=invoice_id)
