"""Writes of the finder: Zuständigkeiten (each one transaction, audited)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from verbund.authorities.models import Authority
from verbund.catalogue.models import Service
from verbund.core.audit import Actor, record_audit, snapshot
from verbund.finder.models import Zustaendigkeit
from verbund.gebiete.models import Gebiet


@transaction.atomic
def upsert_zustaendigkeit(
    *,
    service: Service,
    authority: Authority,
    gebiet: Gebiet,
    actor: Actor,
    note: str = "",
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> tuple[Zustaendigkeit, bool]:
    """Record that `authority` provides `service` for `gebiet`; audited when it changed."""
    entry = (
        Zustaendigkeit.objects.select_for_update()
        .filter(service=service, authority=authority, gebiet=gebiet)
        .first()
    )
    fields = {"note": note, "valid_from": valid_from, "valid_until": valid_until}
    if entry is None:
        entry = Zustaendigkeit(service=service, authority=authority, gebiet=gebiet, **fields)
        entry.full_clean()
        entry.save()
        record_audit(
            action="finder.zustaendigkeit_created", actor=actor, obj=entry, after=snapshot(entry)
        )
        return entry, True
    before = snapshot(entry)
    changed = [name for name, value in fields.items() if getattr(entry, name) != value]
    if changed:
        for name in changed:
            setattr(entry, name, fields[name])
        entry.full_clean()
        entry.save()
        record_audit(
            action="finder.zustaendigkeit_updated",
            actor=actor,
            obj=entry,
            before=before,
            after=snapshot(entry),
        )
    return entry, False


@transaction.atomic
def save_zustaendigkeit(*, entry: Zustaendigkeit, actor: Actor) -> Zustaendigkeit:
    """Store an editor's change (admin)."""
    before = None
    if entry.pk:
        previous = Zustaendigkeit.objects.filter(pk=entry.pk).first()
        before = snapshot(previous) if previous else None
    entry.full_clean()
    entry.save()
    record_audit(
        action="finder.zustaendigkeit_updated" if before else "finder.zustaendigkeit_created",
        actor=actor,
        obj=entry,
        before=before,
        after=snapshot(entry),
    )
    return entry


@transaction.atomic
def delete_zustaendigkeit(*, entry: Zustaendigkeit, actor: Actor) -> None:
    record_audit(
        action="finder.zustaendigkeit_deleted", actor=actor, obj=entry, before=snapshot(entry)
    )
    entry.delete()
