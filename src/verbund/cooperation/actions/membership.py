"""Joining and leaving the Verbund; a member's staff and Leitweg-IDs."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from verbund.accounts import actions as account_actions
from verbund.accounts import queries as account_queries
from verbund.authorities import actions as authority_actions
from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority, AuthorityKind, StaffRole, TenantStatus
from verbund.cooperation import queries, rules
from verbund.cooperation.models import (
    LandOperator,
    Membership,
)
from verbund.core.audit import Actor, record_audit, snapshot
from verbund.core.errors import Conflict, InvalidInput
from verbund.gebiete.types import Gebiet, GebietType, Level


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


@transaction.atomic
def assign_land_operator(*, user: Any, land: Gebiet, actor: Actor) -> LandOperator:
    row, created = LandOperator.objects.get_or_create(user=user, land=land)
    if created:
        record_audit(action="cooperation.operator_assigned", actor=actor, obj=row, land=land.key)
    return row


def _mark_reviewed(item: Any, *, target: str, reviewer: Any, note: str) -> None:
    """Record the outcome of a four-eyes review (a district proposal, a text revision): its
    new state, who reviewed it, when, and the reviewer's note."""
    item.state = target
    item.reviewed_by = reviewer
    item.reviewed_at = timezone.now()
    item.review_note = note.strip()[:500]
    item.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_note", "updated_at"])


def _kind_for(gebiet: Gebiet) -> str:
    if gebiet.level == Level.KREIS:
        return AuthorityKind.LANDRATSAMT
    if gebiet.level == Level.VERBAND:
        return AuthorityKind.VG_VERWALTUNG
    if gebiet.type in {GebietType.STADT, GebietType.KREISFREIE_STADT}:
        return AuthorityKind.STADTVERWALTUNG
    return AuthorityKind.GEMEINDEVERWALTUNG


def _authority_for(gebiet: Gebiet, slug: str, actor: Actor) -> Authority:
    """The authority of the unit: the one chosen, the only one, or a new administration for
    a unit that has none in the registry yet."""
    candidates = list(authority_queries.all_authorities().filter(gebiet=gebiet).order_by("name"))
    if slug:
        for candidate in candidates:
            if candidate.slug == slug:
                return candidate
        raise InvalidInput(
            "Diese Behörde gehört nicht zu dem angegebenen Gebiet.", code="authority_mismatch"
        )
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        names = ", ".join(f"{c.name} ({c.slug})" for c in candidates)
        raise InvalidInput(
            f"Für dieses Gebiet gibt es mehrere Behörden; bitte eine wählen: {names}.",
            code="authority_ambiguous",
            candidates=[c.slug for c in candidates],
        )
    if gebiet.level == Level.LAND:
        raise InvalidInput(
            "Landesbehörden werden mit ihrem Kurznamen eingeladen.", code="authority_required"
        )
    kind = _kind_for(gebiet)
    prefixes: dict[str, str] = {
        AuthorityKind.LANDRATSAMT: "Landratsamt",
        AuthorityKind.VG_VERWALTUNG: "Verwaltungsgemeinschaft",
        AuthorityKind.STADTVERWALTUNG: "Stadtverwaltung",
        AuthorityKind.GEMEINDEVERWALTUNG: "Gemeindeverwaltung",
    }
    prefix = prefixes[kind]
    authority, _created = authority_actions.upsert_authority(
        slug=slugify(f"{prefix} {gebiet.display_name} {gebiet.key}")[:80],
        actor=actor,
        name=f"{prefix} {gebiet.display_name}",
        kind=kind,
        gebiet=gebiet,
    )
    return authority


@transaction.atomic
def invite_authority(*, land: Gebiet, ars: str, actor: Actor, slug: str = "") -> Membership:
    """The Land invites an authority from the official directory (by ARS) to the Verbund."""
    gebiet = queries.find_gebiet_in_land(land, ars)
    authority = _authority_for(gebiet, slug.strip(), actor)
    membership = Membership.objects.select_for_update().filter(authority=authority).first()
    current = membership.state if membership is not None else rules.NOT_INVITED
    if not rules.can_change_membership(current, rules.INVITED):
        raise Conflict(
            f"{authority.name} ist bereits {queries.STATE_LABELS[current]}.",
            code="already_invited",
        )
    before = snapshot(membership) if membership is not None else None
    now = timezone.now()
    if membership is None:
        membership = Membership(authority=authority, land=land)
    membership.state = rules.INVITED
    membership.invited_at = now
    membership.invited_by = _user(actor)
    membership.accepted_at = None
    membership.accepted_by = None
    membership.agreement_version = ""
    membership.left_at = None
    membership.save()
    record_audit(
        action="cooperation.invited",
        actor=actor,
        obj=membership,
        before=before,
        after=snapshot(membership),
        authority=authority.slug,
        ars=gebiet.ars,
    )
    return membership


@transaction.atomic
def accept_agreement(
    *,
    authority: Authority,
    version: str,
    contact_name: str,
    contact_email: str,
    actor: Actor,
) -> Membership:
    """The authority's administrator accepts the cooperation agreement in the version shown."""
    membership = Membership.objects.select_for_update().filter(authority=authority).first()
    current = membership.state if membership is not None else rules.NOT_INVITED
    if membership is None or not rules.can_change_membership(current, rules.MEMBER):
        raise Conflict(
            "Die Vereinbarung kann nur nach einer Einladung des Landes angenommen werden.",
            code="not_invited",
        )
    if version != rules.AGREEMENT_VERSION:
        raise Conflict(
            "Diese Fassung der Vereinbarung gilt nicht mehr; bitte die aktuelle lesen.",
            code="agreement_outdated",
        )
    if not contact_name.strip():
        raise InvalidInput("Bitte eine Ansprechperson nennen.", code="contact_missing")
    before = snapshot(membership)
    membership.state = rules.MEMBER
    membership.agreement_version = version
    membership.accepted_at = timezone.now()
    membership.accepted_by = _user(actor)
    membership.contact_name = contact_name.strip()[:200]
    membership.contact_email = contact_email.strip()[:254]
    membership.save()
    authority_actions.upsert_authority(
        slug=authority.slug,
        actor=actor,
        tenant_status=TenantStatus.JOINED,
        joined_on=authority.joined_on or timezone.localdate(),
    )
    record_audit(
        action="cooperation.agreement_accepted",
        actor=actor,
        obj=membership,
        before=before,
        after=snapshot(membership),
        agreement_version=version,
        authority=authority.slug,
    )
    return membership


@transaction.atomic
def leave_verbund(*, authority: Authority, reason: str, actor: Actor) -> Membership:
    """The authority leaves: its shared services stop being offered; nothing is deleted
    (activations, cases and the audit trail stay until their retention ends)."""
    membership = Membership.objects.select_for_update().filter(authority=authority).first()
    current = membership.state if membership is not None else rules.NOT_INVITED
    if membership is None or not rules.can_change_membership(current, rules.LEFT):
        raise Conflict("Diese Behörde ist nicht Mitglied im Verbund.", code="not_member")
    before = snapshot(membership)
    membership.state = rules.LEFT
    membership.left_at = timezone.now()
    membership.leave_reason = reason.strip()[:2000]
    membership.save()
    authority_actions.upsert_authority(
        slug=authority.slug, actor=actor, tenant_status=TenantStatus.NOT_JOINED
    )
    record_audit(
        action="cooperation.left",
        actor=actor,
        obj=membership,
        before=before,
        after=snapshot(membership),
        authority=authority.slug,
    )
    return membership


# --- the authority administration: staff and Leitweg-IDs ------------------------------------


SERVICE_AREA = re.compile(r"^\d{2,14}$")


@transaction.atomic
def set_staff_member(
    *,
    authority: Authority,
    login: str,
    role: str,
    service_areas: str,
    active: bool,
    actor: Actor,
) -> Any:
    """The authority's administrator adds an existing staff account or changes its role,
    service areas (LeiKa keys or their beginnings) and whether it is active. The last
    active administrator cannot be removed: the authority would lose its administration."""
    user = account_queries.find_user_by_login(login.strip())
    if user is None or user.kind != "staff":
        raise InvalidInput(
            f"Ein Konto für Beschäftigte „{login.strip()}“ gibt es nicht.", code="unknown_staff"
        )
    areas = _role_and_areas(role, service_areas)
    _keep_an_administrator(authority, user, role=role, active=active)
    membership = authority_actions.upsert_staff_membership(
        user=user,
        authority=authority,
        role=role,
        service_areas=areas,
        active=active,
        actor=actor,
    )
    if active:
        # Taking a deactivated colleague back (see `deactivate_staff_member`).
        account_actions.reactivate_account(user=user, actor=actor)
    return membership


def _role_and_areas(role: str, service_areas: str) -> list[str]:
    if role not in StaffRole.values:
        raise InvalidInput("Bitte eine Rolle wählen.", code="unknown_role")
    areas = [a for a in re.split(r"[\s,;]+", service_areas.strip()) if a]
    wrong = [a for a in areas if not SERVICE_AREA.match(a)]
    if wrong:
        raise InvalidInput(
            f"Aufgabengebiete sind LeiKa-Schlüssel oder ihre Anfänge (2–14 Ziffern): "
            f"„{', '.join(wrong)}“ passt nicht.",
            code="invalid_service_area",
        )
    return areas


def _keep_an_administrator(authority: Authority, user: Any, *, role: str, active: bool) -> None:
    admins = [
        m.user_id
        for m in authority_queries.staff_of(authority).select_for_update()
        if m.active and m.role == StaffRole.ADMIN
    ]
    if admins == [user.pk] and (role != StaffRole.ADMIN or not active):
        raise Conflict(
            "Die letzte Administration der Behörde bleibt; ernennen Sie zuerst eine weitere.",
            code="last_admin",
        )


@transaction.atomic
def invite_staff_member(
    *,
    authority: Authority,
    given_name: str,
    family_name: str,
    email: str,
    role: str,
    service_areas: str,
    base_url: str,
    actor: Actor,
) -> Any:
    """The administrator creates a staff account for a new colleague: the account (no
    password yet) and its membership in exactly this authority in one transaction, the
    invitation mail queued with it (`accounts.actions.invite_staff_account`)."""
    areas = _role_and_areas(role, service_areas)
    user = account_actions.invite_staff_account(
        email=email,
        given_name=given_name,
        family_name=family_name,
        inviter=authority.name,
        landing=reverse("cooperation:administration_index"),
        base_url=base_url,
        actor=actor,
    )
    membership = authority_actions.upsert_staff_membership(
        user=user, authority=authority, role=role, service_areas=areas, actor=actor
    )
    record_audit(
        action="cooperation.staff_invited",
        actor=actor,
        obj=membership,
        authority=authority.slug,
        role=role,
    )
    return membership


@transaction.atomic
def deactivate_staff_member(*, authority: Authority, membership_id: int, actor: Actor) -> Any:
    """End a colleague's work for this authority. The account itself is deactivated when
    it belongs to no other authority; another authority's membership is not this
    administrator's to end. The last administrator stays (see `_keep_an_administrator`)."""
    membership = queries.staff_membership_or_404(authority, membership_id)
    _keep_an_administrator(authority, membership.user, role=membership.role, active=False)
    membership = authority_actions.upsert_staff_membership(
        user=membership.user,
        authority=authority,
        role=membership.role,
        service_areas=membership.service_areas,
        active=False,
        actor=actor,
    )
    if not authority_queries.memberships_of(membership.user).exists():
        account_actions.deactivate_account(user=membership.user, actor=actor)
    return membership


def add_authority_leitweg_id(
    *, authority: Authority, value: str, contact: str, actor: Actor
) -> Any:
    """A Leitweg-ID for e-invoices to the authority, with the contact who answers for it
    (validated and audited by `authorities.actions.add_leitweg_id`)."""
    if not contact.strip():
        raise InvalidInput(
            "Bitte nennen Sie die Ansprechperson für diese Leitweg-ID.", code="contact_missing"
        )
    return authority_actions.add_leitweg_id(
        authority=authority, value=value.strip(), description=contact.strip(), actor=actor
    )


def deactivate_authority_leitweg_id(*, authority: Authority, pk: int, actor: Actor) -> Any:
    """The authority stops receiving e-invoices under one of its Leitweg-IDs; what arrived
    under it stays (`authorities.actions.deactivate_leitweg_id`)."""
    leitweg = queries.leitweg_id_or_404(authority, pk)
    return authority_actions.deactivate_leitweg_id(leitweg=leitweg, actor=actor)
