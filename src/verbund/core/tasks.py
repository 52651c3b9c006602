"""Work that leaves the request: tasks through Django's Tasks API (the `django-tasks` backport)
stored by the database backend (`django-tasks-db`).

Enqueue a task inside the transaction of the change that causes it: the task row commits
with the change or not at all (an outbox without a second system), and no worker sees it
before the commit. `verbund worker` runs the tasks; each task declares how often it may be
tried, how long one attempt may take in total, and how long to wait between attempts.

```python
@background(max_attempts=8, deadline=15, backoff=30)
def deliver_webhook(*, delivery_id: int) -> None: ...

with transaction.atomic():
    delivery = WebhookDelivery.objects.create(...)
    deliver_webhook.enqueue(delivery_id=delivery.pk)
```

A task must be idempotent: a worker killed in the middle of an attempt leaves the task
running until its deadline has passed, and then the task runs again (`requeue_stale`).
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task as define_task
from django_tasks.base import Task, TaskResultStatus

F = TypeVar("F", bound=Callable[..., Any])

# A running task whose attempt began longer ago than its deadline plus this grace has lost
# its worker (killed, machine gone): it is handed to the next worker.
STALE_GRACE = timedelta(seconds=30)


class DeadlineExceeded(Exception):
    """An attempt of a task ran past its total deadline."""


@dataclass(frozen=True)
class Policy:
    """How a task is retried: attempts in all, seconds per attempt, base wait between them."""

    max_attempts: int = 5
    deadline: float = 60.0
    backoff: float = 10.0
    max_backoff: float = 3600.0

    def wait_after(self, attempt: int) -> timedelta:
        """Exponential backoff: `backoff`, 2×, 4×, … seconds after attempt 1, 2, 3, …"""
        return timedelta(seconds=min(self.backoff * 2 ** (attempt - 1), self.max_backoff))


DEFAULT_POLICY = Policy()
_policies: dict[str, Policy] = {}


def background(
    *,
    max_attempts: int = DEFAULT_POLICY.max_attempts,
    deadline: float = DEFAULT_POLICY.deadline,
    backoff: float = DEFAULT_POLICY.backoff,
    queue_name: str = "default",
    priority: int = 0,
) -> Callable[[F], Task[Any, Any]]:
    """Declare a module-level function as a task with its retry policy."""
    policy = Policy(max_attempts=max_attempts, deadline=deadline, backoff=backoff)

    def decorate(func: F) -> Task[Any, Any]:
        declared: Task[Any, Any] = define_task(queue_name=queue_name, priority=priority)(func)
        _policies[declared.module_path] = policy
        return declared

    return decorate


def policy_for(task_path: str) -> Policy:
    """The policy of a task by its dotted path; imports the task's module when this process
    has not (a worker reaping another worker's task may never have run that task)."""
    if task_path not in _policies:
        with suppress(ImportError):
            import_string(task_path)
    return _policies.get(task_path, DEFAULT_POLICY)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block with `DeadlineExceeded` after `seconds` of wall time in total,
    however the time is spent (a socket read that trickles, a slow query). Main thread only:
    the worker runs its tasks there."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise DeadlineExceeded(f"Frist von {seconds:g} s überschritten")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def worker_id() -> str:
    """Host and process of this worker: unique in the pool, readable in the task table."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def requeue_stale(*, now: Any = None) -> int:
    """Hand running tasks whose attempt outlived its deadline back to the queue; returns how
    many. Their worker is gone (a live worker interrupts an attempt at its deadline)."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    requeued = 0
    for task_id, task_path, started_at in DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__isnull=False
    ).values_list("id", "task_path", "started_at"):
        limit = timedelta(seconds=policy_for(task_path).deadline) + STALE_GRACE
        if started_at is None or started_at + limit > now:
            continue
        # Compare-and-set on the start time: a worker that claims or finishes it meanwhile wins.
        requeued += DBTaskResult.objects.filter(
            id=task_id, status=TaskResultStatus.RUNNING, started_at=started_at
        ).update(status=TaskResultStatus.READY, started_at=None, run_after=now)
    return requeued


def run_pending(*, limit: int = 1000) -> int:
    """Run every task that is ready now, in this process, through the worker's own code;
    returns how many attempts ran. For tests inside a transaction and for `--batch`."""
    from verbund.core.worker import Worker

    worker = Worker(queue_names=["*"], interval=0, batch=True, max_tasks=limit)
    return worker.run_ready(in_transaction=transaction.get_connection().in_atomic_block)
