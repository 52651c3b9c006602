"""Tasks the worker tests enqueue; importable by a worker in another process."""

from __future__ import annotations

import time
from pathlib import Path

from django.db import transaction

from verbund.core.audit import record_audit
from verbund.core.models import AuditEntry
from verbund.core.tasks import background


@background(max_attempts=4, deadline=5, backoff=1)
def flaky(*, key: str, failures: int) -> int:
    """Fails `failures` times (counted in the audit log), then records its effect once."""
    with transaction.atomic():
        tried = AuditEntry.objects.filter(action="test.flaky.attempt", object_id=key).count()
        record_audit(action="test.flaky.attempt", actor="worker", object_id=key)
    if tried < failures:
        raise ConnectionError(f"attempt {tried + 1} fails")
    return record_effect(key)


@background(max_attempts=3, deadline=0.5, backoff=1)
def stalls(*, seconds: float) -> None:
    time.sleep(seconds)


@background(max_attempts=3, deadline=3, backoff=1)
def slow_once(*, key: str, marker: str, seconds: float) -> int:
    """Sleeps the first time it runs (long enough to be killed), then records its effect."""
    path = Path(marker)
    if not path.exists():
        path.write_text("started")
        time.sleep(seconds)
    return record_effect(key)


def record_effect(key: str) -> int:
    """The task's effect, idempotent: a second run finds the first's row and changes nothing."""
    with transaction.atomic():
        done = AuditEntry.objects.filter(action="test.effect", object_id=key).first()
        if done is not None:
            return done.pk
        return record_audit(
            action="test.effect", actor="worker", object_type="test", object_id=key
        ).pk
