"""Scheduled harvests through the platform's task queue."""

from __future__ import annotations

from verbund.core.tasks import background
from verbund.opendata.harvest import harvest
from verbund.opendata.models import HarvestSource


@background(max_attempts=3, deadline=600, backoff=300)
def harvest_source(*, source_id: int) -> None:
    """Harvest one source (enqueued by `enqueue_scheduled_harvests`)."""
    source = HarvestSource.objects.get(pk=source_id)
    harvest(source=source, actor="harvest")


def enqueue_scheduled_harvests() -> int:
    """Enqueue a harvest of every source marked `scheduled`; a cron or timer calls this."""
    count = 0
    for source_id in HarvestSource.objects.filter(scheduled=True).values_list("pk", flat=True):
        harvest_source.enqueue(source_id=source_id)
        count += 1
    return count
