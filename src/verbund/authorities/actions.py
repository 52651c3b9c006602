"""Writes to the authority registry."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from verbund.authorities import keys
from verbund.authorities.models import (
    Authority,
    EncryptionKey,
    KeyProtection,
    LeitwegIdentifier,
    StaffMembership,
)
from verbund.authorities.queries import key_encryption_key
from verbund.authorities.rules import parse_leitweg_id
from verbund.core.audit import Actor, record_audit, snapshot
from verbund.core.errors import Conflict, InvalidInput


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
def ensure_encryption_key(*, authority: Authority, actor: Actor) -> EncryptionKey:
    """The authority's active encryption key; generated (RSA-4096) the first time it is
    needed, so that loading 302 demo authorities does not create 302 key pairs."""
    # Lock the authority row: two first submissions at once must not make two keys.
    Authority.objects.select_for_update().filter(pk=authority.pk).first()
    existing = EncryptionKey.objects.filter(authority=authority, active=True).first()
    if existing is not None:
        return existing
    public, private = keys.generate_key_pair()
    kid = str(uuid.uuid4())
    private["kid"] = kid
    key = EncryptionKey.objects.create(
        authority=authority,
        kid=kid,
        public_jwk=keys.public_jwk_for_encryption(public, kid),
        wrapped_private_key=keys.wrap_with_kek(private, key_encryption_key()),
        protection=KeyProtection.PLATFORM,
    )
    record_audit(
        action="authority.encryption_key_created",
        actor=actor,
        obj=key,
        after={"kid": kid, "protection": key.protection},
    )
    return key


@transaction.atomic
def protect_key_with_passphrase(
    *, key: EncryptionKey, passphrase: str, actor: Actor, current_passphrase: str = ""
) -> EncryptionKey:
    """Re-wrap the private key with the authority's own passphrase, so that the platform's
    key-encryption key no longer opens it."""
    key = EncryptionKey.objects.select_for_update().get(pk=key.pk)
    if key.protection == KeyProtection.EXTERNAL:
        raise Conflict("Der private Schlüssel liegt nur bei der Behörde.", code="key_external")
    secret = (
        key_encryption_key()
        if key.protection == KeyProtection.PLATFORM
        else current_passphrase.encode()
    )
    try:
        private = keys.unwrap(key.wrapped_private_key, secret)
        key.wrapped_private_key = keys.wrap_with_passphrase(private, passphrase)
    except keys.UnusableKey as exc:
        raise InvalidInput(str(exc), code="key_passphrase") from None
    key.protection = KeyProtection.PASSPHRASE
    key.save(update_fields=["wrapped_private_key", "protection", "updated_at"])
    record_audit(
        action="authority.encryption_key_protected",
        actor=actor,
        obj=key,
        after={"protection": key.protection},
    )
    return key


@transaction.atomic
def register_public_key(
    *, authority: Authority, public_jwk: dict[str, Any], actor: Actor
) -> EncryptionKey:
    """The production model: the authority generated its key pair itself and registers only
    the public key; the previous key is retired (existing submissions keep their kid)."""
    try:
        public = keys.validate_public_jwk(public_jwk)
    except keys.UnusableKey as exc:
        raise InvalidInput(str(exc), code="invalid_public_key") from None
    Authority.objects.select_for_update().filter(pk=authority.pk).first()
    EncryptionKey.objects.filter(authority=authority, active=True).update(
        active=False, retired_at=timezone.now()
    )
    kid = str(public_jwk.get("kid") or uuid.uuid4())
    if EncryptionKey.objects.filter(kid=kid).exists():
        raise Conflict(f"Die Schlüssel-ID {kid} ist bereits vergeben.", code="kid_taken")
    key = EncryptionKey.objects.create(
        authority=authority,
        kid=kid,
        public_jwk=keys.public_jwk_for_encryption(public, kid),
        protection=KeyProtection.EXTERNAL,
    )
    record_audit(
        action="authority.public_key_registered",
        actor=actor,
        obj=key,
        after={"kid": kid, "protection": key.protection},
    )
    return key


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
