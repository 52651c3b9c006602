"""The task queue: retries with backoff, a total deadline per attempt, recovery of a killed
worker's task, and real `verbund worker` processes against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from verbund.core import tasks
from verbund.core.models import AuditEntry, WorkerHeartbeat
from verbund.core.tests import tasks_for_tests


def effects(key: str) -> int:
    return AuditEntry.objects.filter(action="test.effect", object_id=key).count()


def make_ready_now() -> None:
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


@pytest.mark.django_db
def test_a_failing_task_is_retried_with_growing_waits_until_it_succeeds():
    result = tasks_for_tests.flaky.enqueue(key="k1", failures=2)
    before = timezone.now()

    assert tasks.run_pending() == 1
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.READY
    first_wait = row.run_after - before
    assert timedelta(seconds=0.9) < first_wait < timedelta(seconds=3)
    assert "ConnectionError" in row.exception_class_path
    assert tasks.run_pending() == 0  # not before its time

    make_ready_now()
    before = timezone.now()
    assert tasks.run_pending() == 1
    row.refresh_from_db()
    assert row.run_after - before > first_wait  # 2 s after the second failure

    make_ready_now()
    assert tasks.run_pending() == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert len(row.worker_ids) == 3
    assert effects("k1") == 1


@pytest.mark.django_db
def test_a_task_that_keeps_failing_is_given_up_after_its_attempts():
    result = tasks_for_tests.flaky.enqueue(key="k2", failures=99)
    for _ in range(4):
        make_ready_now()
        tasks.run_pending()
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.FAILED
    assert len(row.worker_ids) == 4
    make_ready_now()
    assert tasks.run_pending() == 0
    assert effects("k2") == 0


@pytest.mark.django_db
def test_an_attempt_is_cut_off_at_its_total_deadline():
    result = tasks_for_tests.stalls.enqueue(seconds=30)
    started = time.monotonic()
    tasks.run_pending()
    assert time.monotonic() - started < 5
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.READY  # to be tried again
    assert row.exception_class_path == "verbund.core.tasks.DeadlineExceeded"


@pytest.mark.django_db
def test_a_task_whose_worker_vanished_is_handed_back_after_its_deadline():
    result = tasks_for_tests.flaky.enqueue(key="k3", failures=0)
    row = DBTaskResult.objects.get(id=result.id)
    row.claim("gone:1")
    assert tasks.requeue_stale() == 0  # its deadline has not passed yet
    DBTaskResult.objects.filter(id=row.id).update(
        started_at=timezone.now() - timedelta(seconds=5) - tasks.STALE_GRACE - timedelta(seconds=1)
    )
    assert tasks.requeue_stale() == 1
    assert tasks.run_pending() == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.worker_ids[0] == "gone:1" and len(row.worker_ids) == 2
    assert effects("k3") == 1


@pytest.mark.django_db
def test_a_task_enqueued_in_a_rolled_back_transaction_never_runs():
    with pytest.raises(RuntimeError), transaction.atomic():
        tasks_for_tests.flaky.enqueue(key="k4", failures=0)
        raise RuntimeError("the change fails")
    assert tasks.run_pending() == 0
    assert effects("k4") == 0


# Real worker processes: they see only committed rows, so these tests commit (and run after
# the rest, see the root conftest).


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, host, port = settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


def start_worker(*extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "verbund.settings.test",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "verbund", "worker", "--interval", "0.2", *extra], env=env
    )


def wait_for(condition, seconds: float = 60) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_committed_tasks_and_reports_its_heartbeat():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:", ":memory:")
    ):
        pytest.fail("the SQLite test database must be a file for a worker process to see it")
    tasks_for_tests.flaky.enqueue(key="w1", failures=1)
    worker = start_worker()
    try:
        assert wait_for(lambda: WorkerHeartbeat.objects.exists())
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
        assert wait_for(lambda: effects("w1") == 1)
    finally:
        worker.terminate()
        assert worker.wait(timeout=30) == 0
    assert not WorkerHeartbeat.objects.exists()  # a worker that stops says so


@pytest.mark.django_db(transaction=True)
def test_the_task_of_a_killed_worker_runs_again_with_effect_once(tmp_path: Path):
    marker = tmp_path / "started"
    result = tasks_for_tests.slow_once.enqueue(key="w2", marker=str(marker), seconds=60)
    first = start_worker()
    try:
        assert wait_for(marker.exists)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.RUNNING and effects("w2") == 0
    # The attempt's deadline (3 s) and the grace pass; the next worker takes the task over.
    DBTaskResult.objects.filter(id=row.id).update(
        started_at=timezone.now() - timedelta(seconds=3) - tasks.STALE_GRACE
    )
    second = start_worker()
    try:
        assert wait_for(lambda: effects("w2") == 1)
        row.refresh_from_db()
        assert wait_for(
            lambda: DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.SUCCESSFUL
        )
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert effects("w2") == 1
    assert len(DBTaskResult.objects.get(id=result.id).worker_ids) == 2
