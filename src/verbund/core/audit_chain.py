"""The hash chain over the audit log: what an entry's hash covers, how a new entry is
appended under a lock, and the check that names every changed, deleted or inserted entry.

The hash is an HMAC (SHA-256) keyed from SECRET_KEY, so whoever can write to the database
but does not hold the server's key cannot forge a consistent chain. `actor_label` and
`object_repr` are display labels that are anonymised when an account is deleted (Art. 17
DSGVO); the chain covers `actor_ref` and the object's type and id instead."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac

from verbund.core.models import AuditChainHead, AuditEntry
from verbund.core.prepared import PreparedInsert

SALT = "verbund.core.audit-chain"


def entry_digest(
    *,
    position: int,
    previous_hash: str,
    at: Any,
    actor_ref: str,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
    details: Any,
) -> str:
    payload = json.dumps(
        [
            position,
            previous_hash,
            at.isoformat(),
            actor_ref,
            action,
            object_type,
            object_id,
            before,
            after,
            details,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return salted_hmac(SALT, payload, algorithm="sha256").hexdigest()


def digest_of(entry: AuditEntry, *, previous_hash: str) -> str:
    assert entry.position is not None
    return entry_digest(
        position=entry.position,
        previous_hash=previous_hash,
        at=entry.at,
        actor_ref=entry.actor_ref,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        before=entry.before,
        after=entry.after,
        details=entry.details,
    )


def append(entry: AuditEntry) -> AuditEntry:
    """Give the unsaved entry the next position and its hashes, and save it. Must run in
    the transaction of the change: the head row stays locked until it commits."""
    append_many([entry])
    return entry


def append_many(entries: list[AuditEntry]) -> None:
    """Append the unsaved entries in their order, in two statements however many they are:
    advance the head by their number (which takes the lock and returns the previous hash),
    then insert them sealed; the database's trigger (migration 0006) stores the last one's
    hash in the head, as it stores it for every entry inserted at the head's position."""
    if not entries:
        return
    position, previous_hash = _advance_head(len(entries))
    for entry in entries:
        position += 1
        entry.position = position
        entry.previous_hash = previous_hash
        if entry.at is None:
            entry.at = timezone.now()
        if _has_float((entry.before, entry.after, entry.details)):
            # A float may come back from the database in another form (PostgreSQL's jsonb
            # stores numerics); hash what the database gives back.
            entry.save()
            entry.refresh_from_db()
            entry.entry_hash = digest_of(entry, previous_hash=previous_hash)
            AuditEntry.objects.filter(pk=entry.pk).update(entry_hash=entry.entry_hash)
            AuditChainHead.objects.filter(pk=1, position=position).update(
                last_hash=entry.entry_hash
            )
        else:
            # Text, integers, lists and objects come back from JSON exactly as they went in.
            entry.before, entry.after, entry.details = _as_stored(
                (entry.before, entry.after, entry.details)
            )
            entry.entry_hash = digest_of(entry, previous_hash=previous_hash)
        previous_hash = entry.entry_hash
    unsaved = [entry for entry in entries if entry.pk is None]
    if unsaved:
        _INSERT.insert(unsaved)


# Every recorded change inserts here: the INSERT is compiled once per process.
_INSERT = PreparedInsert(AuditEntry)


def _advance_head(count: int) -> tuple[int, str]:
    """The head's position and hash before it advances by `count`."""
    # The UPDATE takes the lock first (row lock on PostgreSQL, write lock on SQLite), so
    # no other transaction reads the same head; RETURNING saves the read after it.
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    sql = (
        f'UPDATE {table} SET "position" = "position" + %s WHERE "id" = 1 '  # noqa: S608
        'RETURNING "position", "last_hash"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [count])
        row = cursor.fetchone()
        if row is None:
            AuditChainHead.objects.get_or_create(pk=1)
            cursor.execute(sql, [count])
            row = cursor.fetchone()
    return int(row[0]) - count, str(row[1])


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_float(v) for v in value)
    return False


def _as_stored(value: Any) -> Any:
    return json.loads(json.dumps(value))


@dataclass(frozen=True)
class Finding:
    kind: str  # "changed", "deleted", "inserted"
    entry_id: int | None
    position: int | None
    message: str


def verify() -> Iterator[Finding]:
    """Walk the chain from the start; yield one finding per changed, deleted or inserted
    entry."""
    for stray in AuditEntry.objects.filter(position__isnull=True).order_by("id"):
        yield Finding("inserted", stray.pk, None, f"Eintrag {stray.pk} steht außerhalb der Kette.")
    head = AuditChainHead.objects.filter(pk=1).first()
    head_position = head.position if head is not None else 0
    expected_position = 1
    previous_hash = ""
    for entry in AuditEntry.objects.filter(position__isnull=False).order_by("position"):
        assert entry.position is not None
        if entry.position > head_position:
            yield Finding(
                "inserted",
                entry.pk,
                entry.position,
                f"Eintrag {entry.pk} (Position {entry.position}) liegt hinter dem Ende der "
                "Kette (eingefügt).",
            )
            continue
        if entry.position > expected_position:
            missing = f"{expected_position}–{entry.position - 1}"
            if entry.position - 1 == expected_position:
                missing = str(expected_position)
            yield Finding(
                "deleted",
                None,
                expected_position,
                f"Kettenposition {missing} fehlt (gelöscht) vor Eintrag {entry.pk}.",
            )
        if entry.previous_hash != previous_hash and entry.position == expected_position:
            yield Finding(
                "inserted",
                entry.pk,
                entry.position,
                f"Eintrag {entry.pk} (Position {entry.position}) passt nicht an seinen "
                "Vorgänger (eingefügt oder Vorgänger ersetzt).",
            )
        elif digest_of(entry, previous_hash=entry.previous_hash) != entry.entry_hash:
            yield Finding(
                "changed",
                entry.pk,
                entry.position,
                f"Eintrag {entry.pk} (Position {entry.position}) wurde verändert.",
            )
        previous_hash = entry.entry_hash
        expected_position = entry.position + 1
    last = expected_position - 1
    if head is not None and head.position > last:
        yield Finding(
            "deleted",
            None,
            last + 1,
            f"Kettenposition {last + 1}–{head.position} am Ende fehlt (gelöscht).",
        )
    elif head is not None and head.last_hash != previous_hash:
        yield Finding("changed", None, last, f"Das Ende der Kette (Position {last}) wurde ersetzt.")
