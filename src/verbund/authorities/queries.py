"""Reads of the authority registry (public directory data)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from verbund.authorities import custody, keys
from verbund.authorities.models import (
    Authority,
    AuthorityKind,
    EncryptionKey,
    KeyProtection,
    LeitwegIdentifier,
    StaffKey,
    StaffKeyWrap,
    StaffMembership,
    StaffRole,
    TenantStatus,
)
from verbund.authorities.rules import parse_leitweg_id
from verbund.core.errors import DomainError, NotFound
from verbund.core.models import AuditEntry
from verbund.gebiete import queries as gebiete_queries
from verbund.gebiete.types import Gebiet, GebietType, Level


def all_authorities() -> QuerySet[Authority]:
    """Every authority, for those who may edit any (the Land's editors)."""
    return Authority.objects.all()


def authorities() -> QuerySet[Authority]:
    return Authority.objects.select_related("gebiet").prefetch_related("leitweg_ids")


def get_authority(slug: str) -> Authority:
    authority = authorities().filter(slug=slug).first()
    if authority is None:
        raise NotFound(f"Es gibt keine Behörde „{slug}“.", code="unknown_authority")
    return authority


def get_authority_by_id(pk: int) -> Authority:
    authority = authorities().filter(pk=pk).first()
    if authority is None:
        raise NotFound(f"Es gibt keine Behörde mit der Nummer {pk}.", code="unknown_authority")
    return authority


ADMINISTRATION_KINDS = [
    AuthorityKind.GEMEINDEVERWALTUNG,
    AuthorityKind.STADTVERWALTUNG,
    AuthorityKind.VG_VERWALTUNG,
    AuthorityKind.LANDRATSAMT,
]


def administration_of(gebiet: Gebiet) -> Authority | None:
    """The general administration of an area: Gemeinde-, VG- or Stadtverwaltung, Landratsamt.

    A kreisfreie Stadt is Kreis and Gemeinde at once; its Stadtverwaltung is registered for
    the Gemeinde and also answers for the Kreis.
    """
    if gebiet.level == Level.KREIS and gebiet.is_kreisfrei:
        gebiet = gebiete_queries.stadt_of(gebiet) or gebiet
    if gebiet.level == Level.VERBAND and gebiet.type == GebietType.ERFUELLENDE_GEMEINDE:
        if gebiet.erfuellende_gemeinde is None:
            return None
        gebiet = gebiet.erfuellende_gemeinde
    return authorities().filter(gebiet=gebiet, kind__in=ADMINISTRATION_KINDS).order_by("pk").first()


def authorities_serving(gemeinde: Gebiet) -> list[Authority]:
    """Authorities whose area includes the Gemeinde: its own administration, the VG or
    erfüllende Gemeinde, the Kreis (or the kreisfreie Stadt) and the Land's authorities."""
    found: list[Authority] = []

    def add(authority: Authority | None) -> None:
        if authority is not None and authority not in found:
            found.append(authority)

    add(administration_of(gemeinde))
    if gemeinde.verband is not None:
        add(administration_of(gemeinde.verband))
    if gemeinde.kreis is not None:
        add(administration_of(gemeinde.kreis))
    if gemeinde.land is not None:
        for authority in authorities().filter(gebiet=gemeinde.land).order_by("name"):
            add(authority)
    return found


# Access helpers: the only way views and APIs reach an authority's own (tenant) data.


def memberships_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[StaffMembership]:
    if not user.is_authenticated:
        return StaffMembership.objects.none()
    return StaffMembership.objects.filter(user_id=user.pk, active=True).select_related("authority")


def authorities_of_staff(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Authority]:
    """The authorities whose tenant data the user may see."""
    if not user.is_authenticated:
        return Authority.objects.none()
    return Authority.objects.filter(
        memberships__user_id=user.pk, memberships__active=True
    ).distinct()


def get_authority_for_staff_or_404(
    user: AbstractBaseUser | AnonymousUser,
    slug: str,
    *,
    roles: tuple[str, ...] = (StaffRole.CLERK, StaffRole.LEAD, StaffRole.ADMIN),
) -> Authority:
    """The authority if the user is an active member with one of `roles`; otherwise
    NotFound, so that another authority's staff cannot even learn what exists."""
    membership = memberships_of(user).filter(authority__slug=slug, role__in=roles).first()
    if membership is None:
        raise NotFound("Nicht gefunden.", code="not_found")
    return membership.authority


def key_encryption_key() -> bytes:
    """The platform's key-encryption key (from the setting, else derived from SECRET_KEY)."""
    return keys.derive_key_encryption_key(
        settings.VERBUND_KEY_ENCRYPTION_KEY or f"secret-key:{settings.SECRET_KEY}"
    )


# Encryption keys: the public half is public; the private half only for the authority's staff.


def active_encryption_key(authority: Authority) -> EncryptionKey | None:
    return EncryptionKey.objects.filter(authority=authority, active=True).first()


def key_if_still_active(key_id: Any, authority_id: Any) -> QuerySet[EncryptionKey, Any]:
    """The key's id while it is its tenant authority's active key, else no row: a subquery
    for a write that must name a current key (a key remembered from an earlier read)."""
    return EncryptionKey.objects.filter(
        pk=key_id,
        authority_id=authority_id,
        active=True,
        authority__tenant_status=TenantStatus.JOINED,
    ).values("pk")[:1]


def active_key_by_slug(slug: str) -> EncryptionKey | None:
    """The active encryption key of the authority with this slug, with the authority's
    columns a submission needs, in one query; None before its first key exists."""
    return (
        EncryptionKey.objects.select_related("authority")
        .only(
            "id",
            "kid",
            "active",
            "authority__id",
            "authority__slug",
            "authority__name",
            "authority__tenant_status",
        )
        .filter(authority__slug=slug, active=True)
        .order_by()
        .first()
    )


def get_encryption_key(kid: str) -> EncryptionKey:
    key = EncryptionKey.objects.select_related("authority").filter(kid=kid).first()
    if key is None:
        raise NotFound(f"Es gibt keinen Schlüssel „{kid}“.", code="unknown_key")
    return key


def private_key_for_staff(
    user: AbstractBaseUser | AnonymousUser, key: EncryptionKey, *, passphrase: str = ""
) -> dict[str, Any]:
    """The private JWK of `key` for an active member of its authority; others get NotFound.

    A staff-held key needs the member's own key unlocked in this session (KeyLocked
    otherwise) and a seal granted to the member; a key protected by a passphrase needs it;
    a key kept by the authority itself cannot be opened on the platform at all (decryption
    happens in the authority's own system)."""
    if not memberships_of(user).filter(authority_id=key.authority_id).exists():
        raise NotFound("Nicht gefunden.", code="not_found")
    if key.protection == KeyProtection.EXTERNAL:
        raise DomainError(
            "Der private Schlüssel dieser Behörde liegt nicht auf der Plattform; "
            "entschlüsseln Sie im Fachverfahren der Behörde.",
            code="key_external",
            status=409,
        )
    if key.protection == KeyProtection.STAFF:
        return _private_key_from_staff_wrap(user, key)
    if key.protection == KeyProtection.PASSPHRASE:
        if not passphrase:
            raise DomainError(
                "Bitte die Passphrase des Behördenschlüssels eingeben.",
                code="passphrase_required",
                status=403,
            )
        secret = passphrase.encode()
    else:
        secret = key_encryption_key()
    try:
        return keys.unwrap(key.wrapped_private_key, secret)
    except keys.UnusableKey:
        raise DomainError(
            "Die Passphrase passt nicht zum Schlüssel.", code="passphrase_wrong", status=403
        ) from None


def _private_key_from_staff_wrap(
    user: AbstractBaseUser | AnonymousUser, key: EncryptionKey
) -> dict[str, Any]:
    keyring = custody.current_keyring()
    if keyring is None or keyring.user_id != user.pk:
        raise custody.KeyLocked()
    wrap = StaffKeyWrap.objects.filter(
        key=key, membership__user_id=user.pk, membership__active=True
    ).first()
    if wrap is None:
        raise DomainError(
            "Der Schlüssel dieser Behörde ist für Sie noch nicht freigegeben. Bitte wenden "
            "Sie sich an die Leitung (Seite „Schlüssel der Behörde“).",
            code="key_not_granted",
            status=403,
        )
    try:
        return keys.open_sealed_private_key(wrap.sealed_private_key, keyring.private_jwk)
    except keys.UnusableKey:
        raise DomainError(
            "Ihre Freigabe passt nicht zu Ihrem persönlichen Schlüssel; bitte lassen Sie sie "
            "von der Leitung erneuern.",
            code="key_wrap_stale",
            status=403,
        ) from None


KEY_MANAGER_ROLES = (StaffRole.LEAD, StaffRole.ADMIN)


def staff_key_of(user: AbstractBaseUser | AnonymousUser) -> StaffKey | None:
    if not user.is_authenticated:
        return None
    return StaffKey.objects.filter(user_id=user.pk).first()


def unlock_staff_key(user: AbstractBaseUser | AnonymousUser, passphrase: str) -> custody.Keyring:
    """The member's own private key, opened with the key passphrase (scrypt)."""
    staff_key = staff_key_of(user)
    if staff_key is None:
        raise NotFound("Sie haben noch keine Schlüssel-Passphrase festgelegt.", code="no_staff_key")
    try:
        derived = keys.derive_passphrase_key(passphrase, staff_key.kdf)
        private = keys.unwrap(staff_key.wrapped_private_key, derived)
    except (keys.UnusableKey, ValueError, KeyError):
        raise DomainError(
            "Die Schlüssel-Passphrase ist nicht richtig.", code="passphrase_wrong", status=403
        ) from None
    return custody.Keyring(user_id=int(user.pk), private_jwk=private)  # type: ignore[arg-type]


@dataclass(frozen=True)
class KeyHolder:
    """One member of the authority as the key page shows them."""

    membership: StaffMembership
    has_staff_key: bool
    holds_active_key: bool


def key_holders(authority: Authority) -> list[KeyHolder]:
    """Active members and whether they can open the authority's active key."""
    active = active_encryption_key(authority)
    with_key = set(
        StaffKey.objects.values_list("user_id", flat=True).filter(
            user__memberships__authority=authority
        )
    )
    holding = (
        set(StaffKeyWrap.objects.filter(key=active).values_list("membership_id", flat=True))
        if active is not None
        else set()
    )
    members = StaffMembership.objects.filter(authority=authority, active=True).select_related(
        "user"
    )
    return [
        KeyHolder(m, m.user_id in with_key, m.pk in holding)
        for m in members.order_by("user__last_name", "user__username")
    ]


def key_manager_membership_or_404(
    user: AbstractBaseUser | AnonymousUser, slug: str
) -> StaffMembership:
    """The user's Leitung or Administration membership of the authority; NotFound otherwise."""
    membership = memberships_of(user).filter(authority__slug=slug, role__in=KEY_MANAGER_ROLES)
    found = membership.first()
    if found is None:
        raise NotFound("Nicht gefunden.", code="not_found")
    return found


def authorities_with_few_key_holders(minimum: int = 2) -> list[str]:
    """Names of the authorities whose active staff-held key fewer than `minimum` members of
    the Leitung or Administration hold: one forgotten passphrase would lose it."""
    managers = Q(
        staff_wraps__membership__active=True,
        staff_wraps__membership__role__in=KEY_MANAGER_ROLES,
    )
    return list(
        EncryptionKey.objects.filter(active=True, protection=KeyProtection.STAFF)
        .annotate(holders=Count("staff_wraps", filter=managers))
        .filter(holders__lt=minimum)
        .order_by("authority__name")
        .values_list("authority__name", flat=True)
    )


def member_or_404(authority: Authority, raw: str) -> StaffMembership:
    """A membership of the authority by its number as a form posts it; NotFound otherwise."""
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise NotFound("Dieses Mitglied gibt es nicht.", code="not_found")
    member = StaffMembership.objects.filter(authority=authority, pk=int(raw)).first()
    if member is None:
        raise NotFound("Dieses Mitglied gibt es nicht.", code="not_found")
    return member


# Leitweg-ID registry: where an e-invoice goes (XRechnung BT-10).


def authority_for_leitweg_id(value: str) -> Authority:
    """The authority that receives invoices under the Leitweg-ID. Raises InvalidLeitwegId
    (format, check digits) or NotFound (no active registration) with the reason."""
    canonical = str(parse_leitweg_id(value))
    registration = (
        LeitwegIdentifier.objects.select_related("authority").filter(value=canonical).first()
    )
    if registration is None:
        raise NotFound(
            f"Die Leitweg-ID {canonical} ist keiner Behörde auf dieser Plattform zugeordnet.",
            code="unknown_leitweg_id",
        )
    if not registration.active:
        raise NotFound(deactivated_leitweg_reason(registration), code="leitweg_id_deactivated")
    return registration.authority


def deactivated_leitweg_reason(registration: LeitwegIdentifier) -> str:
    since = (
        f" seit dem {timezone.localtime(registration.deactivated_at):%d.%m.%Y}"
        if registration.deactivated_at
        else ""
    )
    return (
        f"Die Leitweg-ID {registration.value} ist{since} deaktiviert: "
        f"{registration.authority.name} empfängt unter ihr keine E-Rechnungen mehr. Bitte "
        f"erfragen Sie bei der Behörde die gültige Leitweg-ID (Verzeichnis der Leitweg-IDs)."
    )


# --- usage metering (read by costs) ---------------------------------------------------------


def active_staff_per_authority(start: datetime.datetime, end: datetime.datetime) -> dict[int, int]:
    """Staff accounts of each authority that did anything recorded in the audit log in
    [start, end): the back-office users active in that time."""
    active = set(
        AuditEntry.objects.filter(at__gte=start, at__lt=end, actor__isnull=False)
        .values_list("actor_id", flat=True)
        .distinct()
    )
    pairs = set(
        StaffMembership.objects.filter(user_id__in=active).values_list("authority_id", "user_id")
    )
    counts: dict[int, int] = {}
    for authority_id, _user_id in pairs:
        counts[authority_id] = counts.get(authority_id, 0) + 1
    return counts


def administrator_emails(authority: Authority) -> list[str]:
    """E-mail addresses of the authority's active administrators (for notices to them)."""
    return sorted(
        {
            email
            for email in StaffMembership.objects.filter(
                authority=authority, role=StaffRole.ADMIN, active=True
            ).values_list("user__email", flat=True)
            if email
        }
    )


def staff_of(authority: Authority) -> QuerySet[StaffMembership]:
    """Every staff membership of the authority (for its administrators' page)."""
    return (
        StaffMembership.objects.filter(authority=authority)
        .select_related("user")
        .order_by("-active", "user__username")
    )


def leitweg_ids_of(authority: Authority) -> QuerySet[LeitwegIdentifier]:
    return LeitwegIdentifier.objects.filter(authority=authority).order_by("value")


def leitweg_directory(q: str = "") -> QuerySet[LeitwegIdentifier]:
    """The public list of active Leitweg-IDs of participating authorities (what a supplier
    puts in BT-10), filtered by authority name, place or the ID itself."""
    from django.db.models import Q

    rows = LeitwegIdentifier.objects.filter(
        active=True, authority__tenant_status="joined"
    ).select_related("authority", "authority__gebiet")
    text = q.strip()
    if text:
        rows = rows.filter(
            Q(authority__name__icontains=text)
            | Q(authority__gebiet__name__icontains=text)
            | Q(value__icontains=text)
            | Q(description__icontains=text)
        )
    return rows.order_by("authority__name", "value")
