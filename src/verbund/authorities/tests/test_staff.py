"""Staff memberships: demo staff work at their authorities, service areas narrow them."""

from __future__ import annotations

import pytest

from verbund.accounts.models import User
from verbund.authorities.actions import upsert_staff_membership
from verbund.authorities.models import StaffMembership, StaffRole
from verbund.authorities.queries import authorities_of_staff, get_authority_for_staff_or_404
from verbund.core.errors import NotFound
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_demo_staff_belong_to_their_authorities():
    clerk = User.objects.get(username="sb.hanstein")
    assert [a.name for a in authorities_of_staff(clerk)] == [
        "Verwaltungsgemeinschaft Hanstein-Rusteberg"
    ]
    admin = User.objects.get(username="admin.tlvwa")
    assert StaffMembership.objects.get(user=admin).role == StaffRole.ADMIN
    erfurt = User.objects.get(username="sb.erfurt")
    with pytest.raises(NotFound):
        get_authority_for_staff_or_404(erfurt, "tlvwa")


def test_service_areas_narrow_a_membership():
    clerk = User.objects.get(username="sb.eichsfeld")
    authority = authorities_of_staff(clerk).get()
    membership = upsert_staff_membership(
        user=clerk,
        authority=authority,
        role=StaffRole.CLERK,
        actor="test",
        service_areas=["99102013"],
    )
    assert membership.covers_service("99102013104000")
    assert not membership.covers_service("99115001000000")
    assert AuditEntry.objects.filter(
        action="authority.staff_changed", object_id=str(membership.pk)
    ).exists()
    membership.service_areas = []
    assert membership.covers_service("99115001000000")
