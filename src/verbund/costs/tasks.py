"""Metering and statement notices through the platform's task queue, run by `verbund worker`."""

from __future__ import annotations

import datetime

from verbund.core.tasks import background


@background(max_attempts=3, deadline=600, backoff=300)
def meter_month(*, month: str) -> int:
    """Meter a month (`YYYY-MM`) from the records; idempotent, the same rows every time (a
    timer enqueues the past month at the start of each month, `verbund meter` runs it by
    hand)."""
    from verbund.costs import actions, rules

    return actions.meter_month(month=rules.parse_month(month), actor="task")


def enqueue_previous_month(today: datetime.date | None = None) -> str:
    """Enqueue the metering of the month before `today`; a cron or timer calls this."""
    first = (today or datetime.date.today()).replace(day=1)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    month = f"{previous:%Y-%m}"
    meter_month.enqueue(month=month)
    return month


@background(max_attempts=6, deadline=30, backoff=60)
def notify_statement(*, statement_id: int) -> bool:
    """Tell the authority's administrators that a statement is ready (once)."""
    from verbund.costs import actions

    return actions.send_statement_notice(statement_id=statement_id)
