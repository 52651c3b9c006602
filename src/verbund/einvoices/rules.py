"""Status rules of a received e-invoice (pure functions, no database)."""

from __future__ import annotations

from verbund.core.errors import Conflict
from verbund.einvoices.models import InvoiceStatus

# eingegangen → geprüft → angewiesen → bezahlt; rejection only before the payment order.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    InvoiceStatus.RECEIVED: (InvoiceStatus.CHECKED, InvoiceStatus.REJECTED),
    InvoiceStatus.CHECKED: (InvoiceStatus.APPROVED, InvoiceStatus.REJECTED),
    InvoiceStatus.APPROVED: (InvoiceStatus.PAID,),
    InvoiceStatus.REJECTED: (),
    InvoiceStatus.PAID: (),
}


def next_statuses(current: str) -> tuple[str, ...]:
    return TRANSITIONS.get(current, ())


def ensure_transition(current: str, to: str) -> None:
    if to not in next_statuses(current):
        raise Conflict(
            f"Eine Rechnung im Status „{InvoiceStatus(current).label}“ kann nicht in den "
            f"Status „{InvoiceStatus(to).label}“ wechseln.",
            code="invalid_transition",
        )
