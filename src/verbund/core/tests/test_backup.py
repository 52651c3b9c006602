"""`verbund backup` and `verbund restore`: a round trip into an empty installation (another
database, other storages; restored by a separate process) keeps every record and every file."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import connection

from verbund.accounts.queries import find_user_by_login
from verbund.casework import actions as casework
from verbund.casework.tests.factories import submit_hundesteuer
from verbund.core.backup import walk
from verbund.core.testing import needs
from verbund.settings.storage import KINDS, storage_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[tuple[str, Any, Any]]:
    """(DATABASE_URL, connect() to it, connect() to the tests' database) of a new, empty
    database of the same kind as the tests'; plain DB-API connections on both sides."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        source = connection.settings_dict["NAME"]
        yield f"sqlite:///{path}", lambda: sqlite3.connect(path), lambda: sqlite3.connect(source)
        return
    needs("pg_dump")
    import psycopg

    db = connection.settings_dict
    name = f"{db['NAME']}_restore"
    server = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']}"
    with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    try:
        yield (
            url,
            lambda: psycopg.connect(f"{server} dbname={name}"),
            lambda: psycopg.connect(f"{server} dbname={db['NAME']}"),
        )
    finally:
        with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restore(
    backup: Path, database_url: str, files: Path, state: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "verbund.settings.test",
        "DATABASE_URL": database_url,
        "VERBUND_STORAGE": f"file://{files}",
        "VERBUND_STATE_DIR": str(state),
    }
    return subprocess.run(
        [sys.executable, "-m", "verbund", "restore", str(backup)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def rows(cursor: Any, table: str) -> list[str]:
    quoted = connection.ops.quote_name(table)
    cursor.execute(f"SELECT * FROM {quoted}")
    return sorted(repr(tuple(row)) for row in cursor.fetchall())


def test_backup_and_restore_keep_every_record_and_every_file(
    tmp_path: Path, settings, empty_database
) -> None:
    # given: the demo installation with files of every kind in its storages
    source_files = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        **{kind: storage_for(f"file://{source_files}", kind, tmp_path) for kind in KINDS},
    }
    call_command("load-demo", stdout=io.StringIO())
    case = submit_hundesteuer()
    clerk = find_user_by_login("sb.erfurt")
    casework.take_case(case=case, actor=clerk)
    casework.decide_case(case=case, outcome="granted", text="Festgesetzt.", actor=clerk)
    storages["einvoices"].save("2026/12/rechnung.xml", ContentFile(b"<Invoice/>"))
    storages["datasets"].save("haushalt/2026.csv", ContentFile(b"Jahr;Betrag\n2026;1\n"))
    sources = {kind: sorted(walk(storages[kind])) for kind in KINDS}
    assert len(sources["attachments"]) >= 2

    # when: a backup is written and restored into an empty installation by another process
    backup = tmp_path / "sicherung"
    out = io.StringIO()
    call_command("backup", str(backup), stdout=out)
    database_url, connect, connect_source = empty_database
    restored_files = tmp_path / "restored-files"
    result = restore(backup, database_url, restored_files, tmp_path / "state-r")

    # then: every table holds the same rows
    assert result.returncode == 0, result.stdout + result.stderr
    tables = connection.introspection.table_names()
    assert len(tables) > 50
    target, source = connect(), connect_source()
    try:
        target_cursor, source_cursor = target.cursor(), source.cursor()
        for table in tables:
            assert rows(target_cursor, table) == rows(source_cursor, table), table
    finally:
        target.close()
        source.close()
    # and every file has the same name and bytes
    for kind in KINDS:
        storage = storage_for(f"file://{restored_files}", kind, tmp_path)["OPTIONS"]["location"]
        restored = sorted(
            p.relative_to(storage).as_posix() for p in Path(storage).rglob("*") if p.is_file()
        )
        assert restored == sources[kind], kind
        for name in restored:
            with storages[kind].open(name, "rb") as fh:
                assert (Path(storage) / name).read_bytes() == fh.read(), name

    # a restore into an installation that is not empty is refused
    again = restore(backup, database_url, restored_files, tmp_path / "state-r")
    assert again.returncode != 0 and "nicht leer" in again.stderr


def test_a_changed_backup_is_refused_before_anything_is_written(tmp_path: Path, settings) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        **{kind: storage_for(f"file://{tmp_path / 'files'}", kind, tmp_path) for kind in KINDS},
    }
    storages["attachments"].save("a/b.jwe", ContentFile(b"ciphertext"))
    backup = tmp_path / "sicherung"
    call_command("backup", str(backup), stdout=io.StringIO())
    (backup / "files" / "attachments" / "a" / "b.jwe").write_bytes(b"other text")
    target = tmp_path / "target.sqlite3"

    result = restore(backup, f"sqlite:///{target}", tmp_path / "t-files", tmp_path / "state-t")

    assert result.returncode != 0
    assert "attachments/a/b.jwe fehlt oder ist verändert" in result.stderr
    assert not (tmp_path / "t-files").exists()
    if target.exists():
        assert sqlite3.connect(target).execute("SELECT count(*) FROM sqlite_master").fetchone() == (
            0,
        )
    shutil.rmtree(backup)
