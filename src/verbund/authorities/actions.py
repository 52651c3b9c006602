"""Writes to the authority registry."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from verbund.authorities.models import Authority, LeitwegIdentifier, StaffMembership
from verbund.authorities.rules import parse_leitweg_id
from verbund.core.audit import Actor, record_audit, snapshot
from verbund.core.errors import Conflict


@transaction.atomic
def upsert_authority(*, slug: str, actor: Actor, **fields: Any) -> tuple[Authority, bool]:
    """Create the authority or update the given fields; audited when anything changed."""
    authority = Authority.objects.select_for_update().filter(slug=slug).first()
    if authority is None:
        authority = Authority.objects.create(slug=slug, **fields)
        record_audit(
            action="authority.created", actor=actor, obj=authority, after=snapshot(authority)
        )
        return authority, True
    before = snapshot(authority)
    changed = [name for name, value in fields.items() if getattr(authority, name) != value]
    if changed:
        for name in changed:
            setattr(authority, name, fields[name])
        authority.save(update_fields=[*changed, "updated_at"])
        record_audit(
            action="authority.updated",
            actor=actor,
            obj=authority,
            before=before,
            after=snapshot(authority),
        )
    return authority, False


@transaction.atomic
def add_leitweg_id(
    *, authority: Authority, value: str, actor: Actor, description: str = ""
) -> LeitwegIdentifier:
    """Register a Leitweg-ID (validated, canonical upper case) for the authority.

    Registering the same ID again for the same authority is a no-op; an ID that belongs
    to another authority is refused, because invoices must route to exactly one recipient.
    """
    canonical = str(parse_leitweg_id(value))
    existing = LeitwegIdentifier.objects.filter(value=canonical).first()
    if existing is not None:
        if existing.authority_id != authority.pk:
            raise Conflict(
                f"Die Leitweg-ID {canonical} ist bereits einer anderen Behörde zugeordnet.",
                code="leitweg_id_taken",
            )
        return existing
    leitweg = LeitwegIdentifier.objects.create(
        authority=authority, value=canonical, description=description
    )
    record_audit(
        action="authority.leitweg_id_added", actor=actor, obj=leitweg, after=snapshot(leitweg)
    )
    return leitweg


@transaction.atomic
def upsert_staff_membership(
    *,
    user: Any,
    authority: Authority,
    role: str,
    actor: Actor,
    service_areas: list[str] | None = None,
    active: bool = True,
) -> StaffMembership:
    """Make the account a member of the authority with this role (and service areas)."""
    membership = (
        StaffMembership.objects.select_for_update().filter(user=user, authority=authority).first()
    )
    wanted = {"role": role, "service_areas": list(service_areas or []), "active": active}
    if membership is None:
        membership = StaffMembership.objects.create(user=user, authority=authority, **wanted)
        record_audit(
            action="authority.staff_added", actor=actor, obj=membership, after=snapshot(membership)
        )
        return membership
    changed = [name for name, value in wanted.items() if getattr(membership, name) != value]
    if changed:
        before = snapshot(membership)
        for name in changed:
            setattr(membership, name, wanted[name])
        membership.save(update_fields=[*changed, "updated_at"])
        record_audit(
            action="authority.staff_changed",
            actor=actor,
            obj=membership,
            before=before,
            after=snapshot(membership),
        )
    return membership
