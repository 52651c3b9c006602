"""Joining and leaving the Verbund: the operator invites by ARS, the authority's
administrator accepts the agreement (version, who, when, audited), leaving keeps everything."""

from __future__ import annotations

import pytest

from verbund.authorities.models import Authority, TenantStatus
from verbund.cooperation import actions, queries, rules
from verbund.cooperation.models import Membership
from verbund.core.errors import Conflict, InvalidInput, NotFound
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_operator_invites_by_ars_and_admin_accepts(client, login_staff, land, own, operator, admin):
    # when: the operator invites Gera by its ARS
    login_staff(client, operator)
    response = client.post("/land/einladen/", {"ars": own.gebiet.ars})
    assert response.status_code == 302
    membership = Membership.objects.get(authority=own)
    assert membership.state == rules.INVITED and membership.invited_by == operator
    page = client.get("/land/?stand=invited").content.decode()
    assert "Stadtverwaltung Gera" in page
    # when: Gera's administrator accepts the agreement
    login_staff(client, admin)
    page = client.get(f"/verwaltung/{own.slug}/").content.decode()
    assert rules.AGREEMENT_VERSION in page and "Vereinbarung annehmen" in page
    client.post(
        f"/verwaltung/{own.slug}/vereinbarung/",
        {
            "fassung": rules.AGREEMENT_VERSION,
            "zustimmung": "1",
            "ansprechperson": "Gerda Digital",
            "email": "digital@gera.example",
        },
    )
    # then: version, who and when are recorded and audited
    membership.refresh_from_db()
    assert membership.state == rules.MEMBER
    assert membership.agreement_version == rules.AGREEMENT_VERSION
    assert membership.accepted_by == admin and membership.accepted_at is not None
    entry = AuditEntry.objects.filter(action="cooperation.agreement_accepted").latest("pk")
    assert entry.actor_id == admin.pk and entry.object_id == str(membership.pk)
    assert Authority.objects.get(pk=own.pk).tenant_status == TenantStatus.JOINED
    # and the Land console shows the member with its contact
    login_staff(client, operator)
    page = client.get("/land/?stand=member").content.decode()
    assert "Gerda Digital" in page and "Stadtverwaltung Gera" in page


def test_accepting_needs_an_invitation_and_the_current_version(land, own, admin):
    with pytest.raises(Conflict):
        actions.accept_agreement(
            authority=own,
            version=rules.AGREEMENT_VERSION,
            contact_name="X",
            contact_email="",
            actor=admin,
        )
    actions.invite_authority(land=land, ars=own.gebiet.ars, actor="test")
    with pytest.raises(Conflict):
        actions.accept_agreement(
            authority=own, version="1999-1", contact_name="X", contact_email="", actor=admin
        )
    assert queries.membership_state(own) == rules.INVITED


def test_inviting_twice_is_refused_and_unknown_ars_is_clear(land, own):
    actions.invite_authority(land=land, ars=own.gebiet.ars, actor="test")
    with pytest.raises(Conflict):
        actions.invite_authority(land=land, ars=own.gebiet.ars, actor="test")
    with pytest.raises(NotFound, match="kein Gebiet"):
        actions.invite_authority(land=land, ars="999999999999", actor="test")


def test_land_authorities_are_chosen_by_slug(land):
    with pytest.raises(InvalidInput) as refused:
        actions.invite_authority(land=land, ars=land.ars, actor="test")
    assert "tlvwa" in refused.value.extra["candidates"]
    membership = actions.invite_authority(land=land, ars=land.ars, slug="tlvwa", actor="test")
    assert membership.authority.slug == "tlvwa"


def test_a_gemeinde_without_authority_gets_one_when_invited(land):
    from verbund.gebiete.models import Gebiet, Level

    gemeinde = (
        Gebiet.objects.filter(level=Level.GEMEINDE, land=land, valid_until__isnull=True)
        .exclude(authorities__isnull=False)
        .first()
    )
    assert gemeinde is not None
    membership = actions.invite_authority(land=land, ars=gemeinde.ars, actor="test")
    assert membership.authority.gebiet == gemeinde
    assert membership.authority.name.endswith(gemeinde.display_name)


def test_leaving_keeps_everything_and_stops_the_services(land, own, admin):
    actions.invite_authority(land=land, ars=own.gebiet.ars, actor="test")
    actions.accept_agreement(
        authority=own,
        version=rules.AGREEMENT_VERSION,
        contact_name="X",
        contact_email="",
        actor=admin,
    )
    membership = actions.leave_verbund(authority=own, reason="Fusion", actor=admin)
    assert membership.state == rules.LEFT and membership.agreement_version
    assert Membership.objects.filter(authority=own).exists()
    assert Authority.objects.get(pk=own.pk).tenant_status == TenantStatus.NOT_JOINED
    assert AuditEntry.objects.filter(action="cooperation.left", actor_id=admin.pk).exists()
    with pytest.raises(Conflict):
        actions.leave_verbund(authority=own, reason="", actor=admin)


def test_console_lists_every_authority_of_the_land(client, login_staff, operator, land):
    login_staff(client, operator)
    page = client.get("/land/").content.decode()
    total = queries.authorities_of_land(land).count()
    assert total > 100
    assert page.count('id="behoerde-') == total
    assert "Stadtverwaltung Erfurt" in page and "Thüringer Landesverwaltungsamt" in page
