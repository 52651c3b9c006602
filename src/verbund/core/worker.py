"""The task worker behind `verbund worker`: django-tasks-db's claiming and result rows, plus
what a public administration's outbound work needs and the library leaves open: a total
deadline per attempt, retries with exponential backoff, recovery of the tasks of a killed
worker, and a heartbeat that `/healthz` reads."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.db import close_old_connections, transaction
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks.base import TaskContext, TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from verbund.core import tasks
from verbund.core.models import WorkerHeartbeat

logger = logging.getLogger("verbund.worker")

# How often a worker reports that it lives and looks for tasks of dead workers.
BEAT_EVERY = timedelta(seconds=10)


class Worker(db_worker.Worker):
    def __init__(
        self,
        *,
        queue_names: list[str],
        interval: float,
        batch: bool,
        max_tasks: int | None,
        worker_id: str | None = None,
        backend_name: str = "default",
    ) -> None:
        super().__init__(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=worker_id or tasks.worker_id(),
            excluded_queue_names=[],
        )
        self._last_beat: Any = None

    def run(self) -> None:
        logger.info("Worker %s gestartet (Warteschlangen: %s)", self.worker_id, self.queue_names)
        try:
            while self.running:
                close_old_connections()
                self.beat()
                ran = self.run_one()
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                if not ran:
                    if self.batch:
                        return
                    if self.running:
                        time.sleep(self.interval)
        finally:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    def run_ready(self, *, in_transaction: bool = False) -> int:
        """Run what is ready now, then return how many attempts ran (tests, `--batch`)."""
        before = self._run_tasks
        tasks.requeue_stale()
        while self.max_tasks is None or self._run_tasks < self.max_tasks:
            if not self.run_one(savepoint=in_transaction):
                break
        return self._run_tasks - before

    def beat(self) -> None:
        now = timezone.now()
        if self._last_beat is not None and now - self._last_beat < BEAT_EVERY:
            return
        self._last_beat = now
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"queues": ",".join(self.queue_names), "seen_at": now},
        )
        requeued = tasks.requeue_stale(now=now)
        if requeued:
            logger.warning("%d Aufgabe(n) eines beendeten Workers wieder eingereiht", requeued)

    def run_one(self, *, savepoint: bool = False) -> bool:
        """Claim the next ready task and run one attempt of it; False when none was ready."""
        ready = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            ready = ready.filter(queue_name__in=self.queue_names)
        with exclusive_transaction(ready.db):
            try:
                claimed = ready.get_locked()
                if claimed is not None:
                    claimed.claim(self.worker_id)
            except OperationalError as exc:
                if not is_locked_database_exception(exc):
                    raise
                claimed = None
        if claimed is None:
            return False
        if savepoint:
            # Inside a test's transaction: a task that fails must not break the outer one.
            with transaction.atomic():
                self.run_task(claimed)
        else:
            self.run_task(claimed)
        return True

    def run_task(self, db_task_result: DBTaskResult[Any, Any]) -> None:
        policy = tasks.policy_for(db_task_result.task_path)
        self.running_task = True
        try:
            task = db_task_result.task
            result = db_task_result.task_result
            with tasks.deadline(policy.deadline):
                if task.takes_context:
                    context = TaskContext(task_result=result)  # type: ignore[arg-type]
                    value = task.call(context, *result.args, **result.kwargs)
                else:
                    value = task.call(*result.args, **result.kwargs)
            db_task_result.set_successful(value)
        except Exception as exc:
            attempt = len(db_task_result.worker_ids)
            if attempt < policy.max_attempts:
                self.retry_later(db_task_result, exc, policy.wait_after(attempt))
                logger.warning(
                    "Aufgabe %s (%s), Versuch %d von %d fehlgeschlagen: %s",
                    db_task_result.task_path,
                    db_task_result.id,
                    attempt,
                    policy.max_attempts,
                    exc,
                )
            else:
                db_task_result.set_failed(exc)
                logger.error(
                    "Aufgabe %s (%s) nach %d Versuchen aufgegeben: %s",
                    db_task_result.task_path,
                    db_task_result.id,
                    attempt,
                    exc,
                )
        finally:
            self.running_task = False
            self._run_tasks += 1

    def retry_later(
        self, db_task_result: DBTaskResult[Any, Any], exc: Exception, wait: timedelta
    ) -> None:
        import traceback

        DBTaskResult.objects.filter(id=db_task_result.id).update(
            status=TaskResultStatus.READY,
            started_at=None,
            run_after=timezone.now() + wait,
            exception_class_path=f"{type(exc).__module__}.{type(exc).__qualname__}",
            traceback="".join(traceback.format_exception(exc)),
        )
