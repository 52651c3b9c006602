"""Reads of the authority registry (public directory data)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from verbund.authorities.models import Authority, AuthorityKind, StaffMembership, StaffRole
from verbund.core.errors import NotFound
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
    kinds = [
        AuthorityKind.GEMEINDEVERWALTUNG,
        AuthorityKind.STADTVERWALTUNG,
        AuthorityKind.VG_VERWALTUNG,
        AuthorityKind.LANDRATSAMT,
    ]
    return authorities().filter(gebiet=gebiet, kind__in=kinds).order_by("pk").first()


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
