"""Writes to the authority registry."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from verbund.authorities import keys
from verbund.authorities.models import (
    Authority,
    EncryptionKey,
    KeyProtection,
    LeitwegIdentifier,
    StaffKey,
    StaffKeyWrap,
    StaffMembership,
)
from verbund.authorities.queries import (
    KEY_MANAGER_ROLES,
    key_encryption_key,
    key_manager_membership_or_404,
    private_key_for_staff,
)
from verbund.authorities.rules import parse_leitweg_id
from verbund.core.audit import Actor, record_audit, snapshot
from verbund.core.errors import Conflict, DomainError, InvalidInput


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
    existing = LeitwegIdentifier.objects.select_for_update().filter(value=canonical).first()
    if existing is not None:
        if existing.authority_id != authority.pk:
            raise Conflict(
                f"Die Leitweg-ID {canonical} ist bereits einer anderen Behörde zugeordnet.",
                code="leitweg_id_taken",
            )
        if not existing.active:
            return _set_leitweg_active(existing, active=True, actor=actor)
        return existing
    leitweg = LeitwegIdentifier.objects.create(
        authority=authority, value=canonical, description=description
    )
    record_audit(
        action="authority.leitweg_id_added", actor=actor, obj=leitweg, after=snapshot(leitweg)
    )
    return leitweg


def _set_leitweg_active(
    leitweg: LeitwegIdentifier, *, active: bool, actor: Actor
) -> LeitwegIdentifier:
    before = snapshot(leitweg)
    leitweg.active = active
    leitweg.deactivated_at = None if active else timezone.now()
    leitweg.save(update_fields=["active", "deactivated_at", "updated_at"])
    record_audit(
        action="authority.leitweg_id_reactivated" if active else "authority.leitweg_id_deactivated",
        actor=actor,
        obj=leitweg,
        before=before,
        after=snapshot(leitweg),
    )
    return leitweg


@transaction.atomic
def deactivate_leitweg_id(*, leitweg: LeitwegIdentifier, actor: Actor) -> LeitwegIdentifier:
    """The authority stops receiving e-invoices under this ID. The registration stays (the
    invoices received under it keep their Leitweg-ID and recipient); new invoices to it are
    refused with the date (see `queries.authority_for_leitweg_id`). Registering the ID again
    reactivates it."""
    leitweg = LeitwegIdentifier.objects.select_for_update().get(pk=leitweg.pk)
    if not leitweg.active:
        return leitweg
    return _set_leitweg_active(leitweg, active=False, actor=actor)


@transaction.atomic
def ensure_encryption_key(*, authority: Authority, actor: Actor) -> EncryptionKey:
    """The authority's active encryption key; generated (RSA-4096) the first time it is
    needed, so that loading 302 demo authorities does not create 302 key pairs."""
    # Lock the authority row: two first submissions at once must not make two keys.
    Authority.objects.select_for_update().filter(pk=authority.pk).first()
    existing = EncryptionKey.objects.filter(authority=authority, active=True).first()
    if existing is not None:
        return existing
    if settings.VERBUND_KEY_CUSTODY == "staff":
        recipients = list(
            StaffMembership.objects.filter(
                authority=authority,
                active=True,
                role__in=KEY_MANAGER_ROLES,
                user__staff_key__isnull=False,
            ).select_related("user__staff_key")
        )
        if not recipients:
            raise Conflict(
                "Diese Behörde kann noch keine verschlüsselten Anträge empfangen: ihre Leitung "
                "hat noch keinen Schlüssel eingerichtet.",
                code="key_not_set_up",
                status=503,
            )
        return _create_staff_held_key(authority=authority, recipients=recipients, actor=actor)
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
        if not membership.active:
            # Leaving: the member's seals of the authority's keys go at once (decision 0027).
            _drop_key_wraps(membership=membership, actor=actor)
    return membership


# Staff-held custody of the authority's keys (decision 0027).


def _create_staff_held_key(
    *, authority: Authority, recipients: list[StaffMembership], actor: Actor
) -> EncryptionKey:
    """A new key pair whose private half exists only sealed to each recipient's own key."""
    public, private = keys.generate_key_pair()
    kid = str(uuid.uuid4())
    private["kid"] = kid
    key = EncryptionKey.objects.create(
        authority=authority,
        kid=kid,
        public_jwk=keys.public_jwk_for_encryption(public, kid),
        wrapped_private_key="",
        protection=KeyProtection.STAFF,
    )
    granted_by = actor if getattr(actor, "is_authenticated", False) else None
    for membership in recipients:
        StaffKeyWrap.objects.create(
            key=key,
            membership=membership,
            sealed_private_key=keys.seal_private_key(private, membership.user.staff_key.public_jwk),
            granted_by=granted_by,  # type: ignore[misc]
        )
    record_audit(
        action="authority.encryption_key_created",
        actor=actor,
        obj=key,
        after={
            "kid": kid,
            "protection": key.protection,
            "holders": sorted(m.user.username for m in recipients),
        },
    )
    return key


@transaction.atomic
def set_key_passphrase(*, user: Any, passphrase: str, actor: Actor) -> dict[str, Any]:
    """Give the staff member a new own key pair, wrapped with a key derived from the
    passphrase; returns the private key so that the session can be unlocked at once.

    A member who had a key pair (forgotten passphrase) loses every seal made for it: a
    second Leitung member must grant the authority's keys again (recovery)."""
    try:
        keys.check_passphrase(passphrase)
    except keys.UnusableKey as exc:
        raise InvalidInput(str(exc), code="key_passphrase") from None
    public, private = keys.generate_staff_key_pair()
    kdf = keys.new_kdf_parameters(settings.VERBUND_KEY_SCRYPT_COST)
    wrapped = keys.wrap_with_kek(private, keys.derive_passphrase_key(passphrase, kdf))
    existing = StaffKey.objects.select_for_update().filter(user=user).first()
    if existing is None:
        StaffKey.objects.create(user=user, public_jwk=public, wrapped_private_key=wrapped, kdf=kdf)
        record_audit(action="authority.staff_key_created", actor=actor, obj=user)
        return private
    dropped, _ = StaffKeyWrap.objects.filter(membership__user=user).delete()
    existing.public_jwk, existing.wrapped_private_key, existing.kdf = public, wrapped, kdf
    existing.save(update_fields=["public_jwk", "wrapped_private_key", "kdf", "updated_at"])
    record_audit(
        action="authority.staff_key_replaced", actor=actor, obj=user, after={"dropped": dropped}
    )
    return private


@transaction.atomic
def change_key_passphrase(*, user: Any, current: str, new: str, actor: Actor) -> None:
    """Wrap the member's own private key with a new passphrase (the seals stay valid)."""
    from verbund.authorities.queries import unlock_staff_key

    keyring = unlock_staff_key(user, current)
    try:
        keys.check_passphrase(new)
    except keys.UnusableKey as exc:
        raise InvalidInput(str(exc), code="key_passphrase") from None
    staff_key = StaffKey.objects.select_for_update().get(user=user)
    staff_key.kdf = keys.new_kdf_parameters(settings.VERBUND_KEY_SCRYPT_COST)
    staff_key.wrapped_private_key = keys.wrap_with_kek(
        keyring.private_jwk, keys.derive_passphrase_key(new, staff_key.kdf)
    )
    staff_key.save(update_fields=["kdf", "wrapped_private_key", "updated_at"])
    record_audit(action="authority.staff_key_passphrase_changed", actor=actor, obj=user)


def _manager_check(actor: Any, authority: Authority) -> None:
    try:
        key_manager_membership_or_404(actor, authority.slug)
    except DomainError:
        raise DomainError(
            "Nur die Leitung oder die Administration der Behörde verwaltet ihre Schlüssel.",
            code="not_key_manager",
            status=403,
        ) from None


@transaction.atomic
def grant_key_access(*, membership: StaffMembership, actor: Any) -> int:
    """Seal every staff-held key of the authority that the actor can open to the member's
    own key (joining, or recovery after a new passphrase). The actor must be Leitung or
    Administration and have unlocked their key (KeyLocked otherwise). Returns the count."""
    membership = StaffMembership.objects.select_for_update().get(pk=membership.pk)
    _manager_check(actor, membership.authority)
    if not membership.active:
        raise Conflict("Die Mitgliedschaft ist beendet.", code="membership_inactive")
    target = StaffKey.objects.filter(user_id=membership.user_id).first()
    if target is None:
        raise Conflict(
            "Das Mitglied hat noch keine Schlüssel-Passphrase festgelegt "
            "(Seite „Schlüssel entsperren“).",
            code="no_staff_key",
        )
    granted: list[str] = []
    staff_held = EncryptionKey.objects.filter(
        authority_id=membership.authority_id,
        protection=KeyProtection.STAFF,
        staff_wraps__membership__user_id=actor.pk,
    ).order_by("created_at")
    for key in staff_held:
        private = private_key_for_staff(actor, key)
        StaffKeyWrap.objects.update_or_create(
            key=key,
            membership=membership,
            defaults={
                "sealed_private_key": keys.seal_private_key(private, target.public_jwk),
                "granted_by": actor,
            },
        )
        granted.append(key.kid)
    if not granted:
        raise Conflict(
            "Sie halten selbst keinen Schlüssel dieser Behörde, den Sie freigeben könnten.",
            code="nothing_to_grant",
        )
    record_audit(
        action="authority.key_access_granted",
        actor=actor,
        obj=membership,
        after={"kids": granted},
    )
    return len(granted)


def _drop_key_wraps(*, membership: StaffMembership, actor: Actor) -> int:
    dropped, _ = StaffKeyWrap.objects.filter(membership=membership).delete()
    if dropped:
        record_audit(
            action="authority.key_access_revoked",
            actor=actor,
            obj=membership,
            after={"dropped": dropped},
        )
    return dropped


@transaction.atomic
def revoke_key_access(*, membership: StaffMembership, actor: Any) -> int:
    """Delete the member's seals of the authority's keys. The member may have copied the
    key while holding it: rotate the key afterwards (`rotate_encryption_key`)."""
    _manager_check(actor, membership.authority)
    return _drop_key_wraps(membership=membership, actor=actor)


@transaction.atomic
def rotate_encryption_key(*, authority: Authority, actor: Any) -> EncryptionKey:
    """A new staff-held key pair for new submissions; the old key is retired and stays
    sealed to its remaining holders for the cases already received. The new key is sealed
    to every active member who holds the current key (or, when there is none, to the
    Leitung and Administration), so no unlocking is needed: only public keys are used."""
    _manager_check(actor, authority)
    Authority.objects.select_for_update().filter(pk=authority.pk).first()
    current = EncryptionKey.objects.filter(authority=authority, active=True).first()
    members = StaffMembership.objects.filter(
        authority=authority, active=True, user__staff_key__isnull=False
    ).select_related("user__staff_key")
    if current is not None and current.protection == KeyProtection.STAFF:
        recipients = list(members.filter(key_wraps__key=current))
    else:
        recipients = list(members.filter(role__in=KEY_MANAGER_ROLES))
    if not recipients:
        raise Conflict(
            "Niemand in der Leitung hat eine Schlüssel-Passphrase; der neue Schlüssel wäre "
            "für niemanden lesbar.",
            code="no_recipients",
        )
    if current is not None:
        current.active = False
        current.retired_at = timezone.now()
        current.save(update_fields=["active", "retired_at", "updated_at"])
    return _create_staff_held_key(authority=authority, recipients=recipients, actor=actor)


@transaction.atomic
def take_key_into_staff_custody(*, key: EncryptionKey, actor: Any) -> EncryptionKey:
    """Move a platform-held key (demo, quick start) into staff custody: seal it to the
    Leitung and Administration members who have a key passphrase, then erase the
    platform's wrap, so that the state directory no longer opens it."""
    key = EncryptionKey.objects.select_for_update().get(pk=key.pk)
    _manager_check(actor, key.authority)
    if key.protection != KeyProtection.PLATFORM:
        raise Conflict("Der Schlüssel wird nicht von der Plattform gehalten.", code="not_platform")
    recipients = list(
        StaffMembership.objects.filter(
            authority_id=key.authority_id,
            active=True,
            role__in=KEY_MANAGER_ROLES,
            user__staff_key__isnull=False,
        ).select_related("user__staff_key")
    )
    if not any(m.user_id == actor.pk for m in recipients):
        raise Conflict("Legen Sie zuerst Ihre Schlüssel-Passphrase fest.", code="no_staff_key")
    private = keys.unwrap(key.wrapped_private_key, key_encryption_key())
    for membership in recipients:
        StaffKeyWrap.objects.update_or_create(
            key=key,
            membership=membership,
            defaults={
                "sealed_private_key": keys.seal_private_key(
                    private, membership.user.staff_key.public_jwk
                ),
                "granted_by": actor,
            },
        )
    key.wrapped_private_key = ""
    key.protection = KeyProtection.STAFF
    key.save(update_fields=["wrapped_private_key", "protection", "updated_at"])
    record_audit(
        action="authority.encryption_key_protected",
        actor=actor,
        obj=key,
        after={"protection": key.protection, "holders": len(recipients)},
    )
    return key
