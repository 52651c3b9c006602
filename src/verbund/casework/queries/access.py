"""Who may see which case: memberships, service areas, colleagues; everyone else gets NotFound."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from verbund.applications import queries as application_queries
from verbund.applications.types import Submission
from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority, StaffMembership, StaffRole
from verbund.casework import rules
from verbund.casework.models import Case
from verbund.core.errors import InvalidInput, NotFound

User = AbstractBaseUser | AnonymousUser

CASE_ROLES = (StaffRole.CLERK, StaffRole.LEAD)

ADMIN_ROLES = (StaffRole.LEAD, StaffRole.ADMIN)


def _not_found() -> NotFound:
    return NotFound("Nicht gefunden.", code="not_found")


def membership_or_404(
    user: User, slug: str, *, roles: tuple[str, ...] = CASE_ROLES
) -> StaffMembership:
    """The user's active membership in the authority with one of `roles`, or NotFound."""
    membership = (
        authority_queries.memberships_of(user).filter(authority__slug=slug, role__in=roles).first()
    )
    if membership is None:
        raise _not_found()
    return membership


def _service_area_filter(membership: StaffMembership) -> Q:
    areas = [str(a) for a in membership.service_areas or []]
    if not areas:
        return Q()
    q = Q(pk__in=[])
    for prefix in areas:
        q |= Q(service__leika_key__startswith=prefix)
    return q


def cases_of(membership: StaffMembership) -> QuerySet[Submission]:
    """The released cases a membership may see (its authority, its service areas)."""
    return (
        application_queries.released_submissions()
        .filter(authority_id=membership.authority_id, status__in=rules.BACK_OFFICE)
        .filter(_service_area_filter(membership))
        .select_related("service", "case", "case__assignee")
    )


def get_case_for_staff_or_404(
    user: User, number: str, *, roles: tuple[str, ...] = CASE_ROLES
) -> Case:
    """A case of one of the user's authorities, within their service areas; else NotFound."""
    submission = (
        application_queries.released_submissions()
        .select_related("service", "authority", "key", "case")
        .filter(vorgangsnummer=number)
        .first()
    )
    if submission is None:
        raise _not_found()
    membership = (
        authority_queries.memberships_of(user)
        .filter(authority_id=submission.authority_id, role__in=roles)
        .first()
    )
    if membership is None or not membership.covers_service(submission.service.leika_key):
        raise _not_found()
    case = getattr(submission, "case", None)
    if case is None:
        raise _not_found()
    return case


def role_in(user: User, authority_id: int) -> str:
    membership = authority_queries.memberships_of(user).filter(authority_id=authority_id).first()
    return membership.role if membership else ""


def colleagues(authority: Authority) -> QuerySet[StaffMembership]:
    return authority_queries.staff_of(authority).filter(active=True, role__in=CASE_ROLES)


def colleague(authority: Authority, user_id: str) -> AbstractBaseUser:
    """The colleague with this id (as a form sends it) who may work on the authority's
    cases; anything else, tampered or gone, is refused with a German message."""
    parsed = rules.parse_user_id(user_id)
    membership = colleagues(authority).filter(user_id=parsed).first() if parsed else None
    if membership is None:
        raise InvalidInput(
            _("Bitte wählen Sie eine Person aus der Liste."), code="assignee_invalid"
        )
    return membership.user
