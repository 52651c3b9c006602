"""Outbound work of the back office, run by `verbund worker`, never inside a request."""

from __future__ import annotations

from verbund.core.tasks import background


# A specialist system that is down for a while still gets the notice: eight attempts over
# about two hours (30 s, 1 min, 2 min, … between them), each cut off after 15 s in total.
@background(max_attempts=8, deadline=15, backoff=30)
def deliver_webhook(*, submission_id: str, authority_id: int, delivery: str) -> bool:
    """POST the notice of a new case to the authority's specialist system (idempotent by
    `delivery`: a delivery already recorded as sent is not sent again)."""
    from verbund.casework import actions

    return actions.send_webhook(
        submission_id=submission_id, authority_id=authority_id, delivery=delivery
    )
