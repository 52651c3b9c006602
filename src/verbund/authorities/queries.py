"""Reads of the authority registry (public directory data)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from verbund.authorities import keys
from verbund.authorities.models import (
    Authority,
    AuthorityKind,
    EncryptionKey,
    KeyProtection,
    LeitwegIdentifier,
    StaffMembership,
    StaffRole,
)
from verbund.authorities.rules import parse_leitweg_id
from verbund.core.errors import DomainError, NotFound
from verbund.gebiete.models import Gebiet, GebietType, Level


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
        gebiet = (
            Gebiet.objects.filter(
                level=Level.GEMEINDE, key=f"{gebiet.key}000", valid_until__isnull=True
            ).first()
            or gebiet
        )
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


def get_encryption_key(kid: str) -> EncryptionKey:
    key = EncryptionKey.objects.select_related("authority").filter(kid=kid).first()
    if key is None:
        raise NotFound(f"Es gibt keinen Schlüssel „{kid}“.", code="unknown_key")
    return key


def private_key_for_staff(
    user: AbstractBaseUser | AnonymousUser, key: EncryptionKey, *, passphrase: str = ""
) -> dict[str, Any]:
    """The private JWK of `key` for an active member of its authority; others get NotFound.

    A key protected by a passphrase needs it; a key kept by the authority itself cannot be
    opened on the platform at all (decryption happens in the authority's own system)."""
    if not memberships_of(user).filter(authority_id=key.authority_id).exists():
        raise NotFound("Nicht gefunden.", code="not_found")
    if key.protection == KeyProtection.EXTERNAL:
        raise DomainError(
            "Der private Schlüssel dieser Behörde liegt nicht auf der Plattform; "
            "entschlüsseln Sie im Fachverfahren der Behörde.",
            code="key_external",
            status=409,
        )
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


# Leitweg-ID registry: where an e-invoice goes (XRechnung BT-10).


def authority_for_leitweg_id(value: str) -> Authority:
    """The authority that receives invoices under the Leitweg-ID. Raises InvalidLeitwegId
    (format, check digits) or NotFound (no active registration) with the reason."""
    canonical = str(parse_leitweg_id(value))
    registration = (
        LeitwegIdentifier.objects.select_related("authority")
        .filter(value=canonical, active=True)
        .first()
    )
    if registration is None:
        raise NotFound(
            f"Die Leitweg-ID {canonical} ist keiner Behörde auf dieser Plattform zugeordnet.",
            code="unknown_leitweg_id",
        )
    return registration.authority


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
