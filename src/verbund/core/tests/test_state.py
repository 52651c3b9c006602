"""Issue 11, finding 8: state is never created silently, and `/healthz` tells the truth.

Only `verbund setup` creates the keys and the database; `verbund serve` (and the WSGI module
any other server would load) refuses to start without them and names what is missing;
`/healthz` answers 503 and names every failed check.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from verbund.core.models import WorkerHeartbeat
from verbund.settings import state


def bare_env(state_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an operator's shell: production settings, no key variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VERBUND_", "DATABASE_", "SECRET_KEY", "DJANGO_"))
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "verbund.settings.base",
        "VERBUND_STATE_DIR": str(state_dir),
        **extra,
    }


def verbund(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verbund", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_serve_refuses_an_empty_state_directory_and_names_what_is_missing(tmp_path):
    # given: a state directory that is empty (a typo in VERBUND_STATE_DIR, a fresh disk)
    state_dir = tmp_path / "state"
    # when
    result = verbund(["serve", "--port", "0", "--workers", "1"], bare_env(state_dir))
    # then: it does not start, names each key and the database, and created nothing
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "OpenID-Providers" in result.stderr
    assert "Profildaten" in result.stderr
    assert f"Datenbank: {state_dir / 'verbund.sqlite3'} existiert nicht" in result.stderr
    assert "verbund setup" in result.stderr
    assert not state_dir.exists() or not any(state_dir.iterdir())


def test_serve_refuses_a_database_without_migrations(tmp_path):
    # given: the keys, but an empty database file (the wrong one, or a new disk)
    state_dir = tmp_path / "state"
    state.create_keys(state_dir)
    sqlite3.connect(state_dir / "verbund.sqlite3").close()
    # when
    result = verbund(["serve", "--port", "0", "--workers", "1"], bare_env(state_dir))
    # then
    assert result.returncode != 0
    assert "Migration(en) nicht angewandt" in result.stderr
    assert "SECRET_KEY" not in result.stderr


def test_the_wsgi_module_refuses_to_load_without_keys(tmp_path):
    # given: another WSGI server pointed at verbund.wsgi on an empty state directory
    state_dir = tmp_path / "state"
    # when
    result = subprocess.run(
        [sys.executable, "-c", "import verbund.wsgi"],
        env=bare_env(state_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # then
    assert result.returncode != 0
    assert "ImproperlyConfigured: Verbund startet nicht" in result.stderr
    assert "SECRET_KEY" in result.stderr
    assert not state_dir.exists() or not any(state_dir.iterdir())


@pytest.mark.django_db
def test_setup_creates_missing_keys_once_and_never_replaces_them(tmp_path, settings):
    # given: a new state directory
    settings.STATE_DIR = tmp_path / "state"
    # when
    out = io.StringIO()
    call_command("setup", stdout=out, verbosity=0)
    first = {key.filename: state.read_key(settings.STATE_DIR, key) for key in state.KEYS}
    call_command("setup", stdout=io.StringIO(), verbosity=0)
    # then: three private files, the same after the second run
    for key in state.KEYS:
        path = settings.STATE_DIR / key.filename
        assert path.stat().st_mode & 0o777 == 0o600
        assert state.read_key(settings.STATE_DIR, key) == first[key.filename]
    assert "BEGIN PRIVATE KEY" in first["oidc-signing-key.pem"]
    assert "(angelegt)" in out.getvalue()


def alive_worker() -> None:
    WorkerHeartbeat.objects.create(worker_id="test-worker", seen_at=timezone.now())


@pytest.mark.django_db
def test_healthz_is_ok_when_every_check_passes(client):
    alive_worker()
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) >= {
        "database",
        "migrations",
        "worker",
        "einvoice_rules",
        "storage:attachments",
        "storage:einvoices",
        "storage:datasets",
    }


@pytest.mark.django_db
def test_healthz_names_a_missing_task_worker(client, settings):
    # given: the last worker reported long ago
    WorkerHeartbeat.objects.create(
        worker_id="gone",
        seen_at=timezone.now() - timedelta(seconds=settings.VERBUND_WORKER_STALE_SECONDS + 5),
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["worker"]


@pytest.mark.django_db
def test_healthz_names_missing_einvoice_rules(client, settings, tmp_path):
    alive_worker()
    settings.VERBUND_EINVOICE_RULES = tmp_path / "keine-regeln"
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["failed"] == ["einvoice_rules"]
    assert "keine-regeln" in body["checks"]["einvoice_rules"]["detail"]


@pytest.mark.django_db
def test_healthz_names_an_unwritable_storage(client, settings, tmp_path):
    # given: the attachment folder is a file (nobody, root included, can write below it)
    alive_worker()
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocked / "attachments")},
        },
    }
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["failed"] == ["storage:attachments"]
    assert "können nicht gespeichert werden" in body["checks"]["storage:attachments"]["detail"]
