"""Backup and restore of one installation: the database and every stored file.

A backup is a directory: `database.sqlite3` (SQLite's online backup API, consistent while
the platform runs) or `database.pgdump` (pg_dump's custom format), `files/<kind>/<name>` for
every file of every storage kind (attachments, e-invoices, datasets; read through Django's
storage API, so from the file system or S3 alike) and `manifest.json` with the SHA-256 of
each. Restore checks every hash before it writes anything, and writes only into an empty
installation (a database without tables, storages without files); `verbund migrate`
afterwards brings an older backup up to the installed version.

The keys (SECRET_KEY, VERBUND_PROFILE_ENCRYPTION_KEYS, VERBUND_KEY_ENCRYPTION_KEY) are not
part of a backup: data encrypted at rest stays unreadable without them; keep them apart.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connection

from verbund.settings.storage import KINDS

FORMAT = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024

Say = Callable[[str], None]


class BackupError(Exception):
    """The backup cannot be written or restored; the message says why, in German."""


@dataclass(frozen=True)
class Summary:
    database: str
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def walk(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name below `folder` of a storage (file system or object storage)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from walk(storage, f"{folder}/{sub}" if folder else sub)


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["--host", db["HOST"] or "127.0.0.1", "--port", str(db["PORT"] or 5432)]
    if db["USER"]:
        args += ["--username", db["USER"]]
    env = {**os.environ}
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def write_backup(destination: Path, *, say: Say = lambda line: None) -> Summary:
    """Write a backup of this installation into `destination` (new or empty directory)."""
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"Das Ziel {destination} ist nicht leer.")
    destination.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "vendor": connection.vendor,
        "migrations": _migrations(),
        "files": [],
    }
    say(f"Datenbank ({connection.vendor}) sichern …")
    if connection.vendor == "sqlite":
        target = destination / "database.sqlite3"
        source = sqlite3.connect(str(connection.settings_dict["NAME"]))
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)  # consistent snapshot while the platform keeps writing
        finally:
            copy.close()
            source.close()
    elif connection.vendor == "postgresql":
        target = destination / "database.pgdump"
        args, env = _pg_environment()
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                *args,
                "--file",
                str(target),
                str(connection.settings_dict["NAME"]),
            ],
            env,
        )
    else:
        raise BackupError(f"Datenbank {connection.vendor} wird nicht unterstützt.")
    manifest["database"] = {"file": target.name, "sha256": _sha256(target)}
    total = 0
    for kind in KINDS:
        storage = storages[kind]
        count = 0
        for name in walk(storage):
            path = destination / "files" / kind / name
            path.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            size = 0
            with storage.open(name, "rb") as src, path.open("wb") as dst:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
            manifest["files"].append(
                {"kind": kind, "name": name, "size": size, "sha256": digest.hexdigest()}
            )
            count += 1
            total += size
        say(f"Dateien {kind}: {count}")
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return Summary(database=target.name, files=len(manifest["files"]), bytes=total)


def restore_backup(source: Path, *, say: Say = lambda line: None) -> Summary:
    """Rebuild an empty installation from a backup; every hash is checked first."""
    manifest = read_manifest(source)
    say("Prüfsummen der Sicherung prüfen …")
    database = source / manifest["database"]["file"]
    if not database.is_file() or _sha256(database) != manifest["database"]["sha256"]:
        raise BackupError(f"Die Datenbanksicherung {database.name} fehlt oder ist verändert.")
    for entry in manifest["files"]:
        path = source / "files" / entry["kind"] / entry["name"]
        if not path.is_file() or _sha256(path) != entry["sha256"]:
            raise BackupError(
                f"Die Datei {entry['kind']}/{entry['name']} fehlt oder ist verändert."
            )
    if manifest["vendor"] != connection.vendor:
        raise BackupError(
            f"Die Sicherung stammt aus {manifest['vendor']}, diese Installation nutzt "
            f"{connection.vendor}."
        )
    if connection.introspection.table_names():
        raise BackupError(
            "Die Datenbank dieser Installation ist nicht leer; wiederhergestellt wird nur in "
            "eine leere Datenbank (ohne Tabellen, vor `verbund migrate`)."
        )
    for kind in KINDS:
        if next(walk(storages[kind]), None) is not None:
            raise BackupError(f"Die Ablage {kind} dieser Installation ist nicht leer.")
    say("Datenbank wiederherstellen …")
    if connection.vendor == "sqlite":
        connection.close()
        source_db = sqlite3.connect(str(database))
        target_db = sqlite3.connect(str(connection.settings_dict["NAME"]))
        try:
            source_db.backup(target_db)
        finally:
            target_db.close()
            source_db.close()
    else:
        args, env = _pg_environment()
        connection.close()
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                *args,
                "--dbname",
                str(connection.settings_dict["NAME"]),
                str(database),
            ],
            env,
        )
    total = 0
    for entry in manifest["files"]:
        storage = storages[entry["kind"]]
        path = source / "files" / entry["kind"] / entry["name"]
        with path.open("rb") as fh:
            stored = storage.save(entry["name"], ContentFile(fh.read()))
        if stored != entry["name"]:
            raise BackupError(f"Die Datei {entry['kind']}/{entry['name']} wurde umbenannt.")
        total += entry["size"]
    say(f"{len(manifest['files'])} Dateien wiederhergestellt.")
    return Summary(database=database.name, files=len(manifest["files"]), bytes=total)


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source / MANIFEST} fehlt oder ist kein JSON.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unbekanntes Sicherungsformat {manifest.get('format')!r}.")
    return manifest


def _migrations() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        rows = cursor.fetchall()
    applied: dict[str, list[str]] = {}
    for app, name in rows:
        applied.setdefault(app, []).append(name)
    return applied


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} fehlt (Debian-Paket postgresql-client).")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} ist gescheitert: {result.stderr.strip()[-500:]}")


__all__ = ["BackupError", "restore_backup", "write_backup"]
