"""The audit log: every action records its change in the same transaction."""

from __future__ import annotations

import contextlib
import datetime
import decimal
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models, transaction
from django.forms.models import model_to_dict

from verbund.core import audit_chain
from verbund.core.models import AuditEntry

SYSTEM = "system"

Actor = AbstractBaseUser | AnonymousUser | str | None


def snapshot(obj: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON-safe picture of a model instance for the before/after columns."""
    data = model_to_dict(obj, exclude=list(exclude))
    return {key: _json_safe(value) for key, value in data.items()}


def stored_snapshot(obj: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The stored state of `obj` before a change is saved (None for a new object)."""
    if obj.pk is None:
        return None
    previous = type(obj)._default_manager.filter(pk=obj.pk).first()
    return snapshot(previous, exclude=exclude) if previous is not None else None


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def record_audit(
    *,
    action: str,
    actor: Actor,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    **details: Any,
) -> AuditEntry:
    """Write one audit row. Must run inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_audit() must be called inside the change's transaction")
    user = actor if isinstance(actor, AbstractBaseUser) else None
    if user is not None:
        label = user.get_username()
    elif isinstance(actor, str):
        label = actor
    else:
        label = SYSTEM
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = str(obj.pk)
    entry = AuditEntry(
        actor_id=user.pk if user is not None else None,
        actor_ref=(f"user:{user.pk}" if user is not None else f"label:{label}")[:220],
        actor_label=label[:200],
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        object_repr=str(obj)[:300] if obj is not None else "",
        before=_json_safe(before) if before is not None else None,
        after=_json_safe(after) if after is not None else None,
        details=_json_safe(details),
    )
    pending = getattr(_batch, "entries", None)
    if pending is not None:
        pending.append(entry)
        return entry
    return audit_chain.append(entry)


_batch = threading.local()


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Append the entries recorded inside the block to the chain together when it ends
    (one head advance and one insert, however many): for an action whose one transaction
    records several changes. Use it inside that transaction; the entries recorded in the
    block have their position and id only after it. An exception drops them along with the
    transaction they belong to."""
    if getattr(_batch, "entries", None) is not None:  # already inside a batch
        yield
        return
    _batch.entries = []
    try:
        yield
        entries, _batch.entries = _batch.entries, None
        audit_chain.append_many(entries)
    finally:
        _batch.entries = None
