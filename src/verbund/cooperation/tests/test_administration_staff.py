"""The authority administration sets up its staff (roles, service areas) and Leitweg-IDs
with their contacts; every change is audited and bad input is a German message."""

from __future__ import annotations

import pytest
from django.test import Client

from verbund.accounts.models import User
from verbund.authorities.models import LeitwegIdentifier, StaffMembership, StaffRole
from verbund.authorities.queries import authority_for_leitweg_id
from verbund.authorities.rules import make_leitweg_id
from verbund.core.errors import NotFound
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin, login_staff) -> Client:
    client = Client()
    login_staff(client, admin)
    return client


def test_admin_adds_staff_with_service_areas(own, admin_client):
    User.objects.create_user("t-neu", kind=User.Kind.STAFF)
    url = f"/verwaltung/{own.slug}/mitarbeitende/speichern/"
    response = admin_client.post(
        url, {"konto": "t-neu", "rolle": StaffRole.CLERK, "aufgaben": "99102013, 991", "aktiv": "1"}
    )
    assert response.status_code == 302
    membership = StaffMembership.objects.get(user__username="t-neu", authority=own)
    assert membership.service_areas == ["99102013", "991"] and membership.active
    page = admin_client.get(f"/verwaltung/{own.slug}/mitarbeitende/").content.decode()
    assert "t-neu" in page and "99102013, 991" in page
    # deactivating keeps the row and is audited
    admin_client.post(url, {"konto": "t-neu", "rolle": StaffRole.CLERK, "aufgaben": ""})
    membership.refresh_from_db()
    assert not membership.active
    assert {"authority.staff_added", "authority.staff_changed"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"konto": "gibt-es-nicht", "rolle": "sachbearbeitung"}, "gibt es nicht"),
        ({"konto": "t-buerger@example.org", "rolle": "sachbearbeitung"}, "gibt es nicht"),
        ({"konto": "t-admin", "rolle": "sachbearbeitung", "aktiv": "1"}, "letzte Administration"),
        ({"konto": "t-admin", "rolle": "x", "aktiv": "1"}, "Rolle"),
        ({"konto": "t-admin", "rolle": "administration", "aufgaben": "Hund"}, "passt nicht"),
    ],
)
def test_bad_staff_input_is_a_german_message(own, admin_client, data, message):
    User.objects.create_user("t-buerger@example.org", kind=User.Kind.CITIZEN)
    response = admin_client.post(
        f"/verwaltung/{own.slug}/mitarbeitende/speichern/", data, follow=True
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert StaffMembership.objects.get(user__username="t-admin").role == StaffRole.ADMIN


def test_leitweg_id_with_contact(own, foreign, admin_client):
    value = str(make_leitweg_id("160520000000", "VERW"))
    url = f"/verwaltung/{own.slug}/leitweg-ids/"
    admin_client.post(url, {"leitweg_id": value, "kontakt": "Rechnungsstelle, Frau Beispiel"})
    page = admin_client.get(f"/verwaltung/{own.slug}/mitarbeitende/").content.decode()
    assert value in page and "Rechnungsstelle, Frau Beispiel" in page
    assert AuditEntry.objects.filter(action="authority.leitweg_id_added").exists()
    bad = admin_client.post(url, {"leitweg_id": "16-x", "kontakt": "x"}, follow=True)
    assert bad.status_code == 200 and "Leitweg" in bad.content.decode()
    missing = admin_client.post(url, {"leitweg_id": value, "kontakt": ""}, follow=True)
    assert "Ansprechperson" in missing.content.decode()
    # another authority's page is not reachable
    assert admin_client.get(f"/verwaltung/{foreign.slug}/mitarbeitende/").status_code == 404


def test_admin_deactivates_a_leitweg_id(own, foreign, admin_client, foreign_admin, login_staff):
    value = str(make_leitweg_id("160520000000", "ALT"))
    admin_client.post(
        f"/verwaltung/{own.slug}/leitweg-ids/", {"leitweg_id": value, "kontakt": "Kämmerei"}
    )
    leitweg = LeitwegIdentifier.objects.get(value=value)
    # another authority's administrator cannot touch it
    other = Client()
    login_staff(other, foreign_admin)
    assert (
        other.post(f"/verwaltung/{own.slug}/leitweg-ids/{leitweg.pk}/deaktivieren/").status_code
        == 404
    )
    assert (
        other.post(f"/verwaltung/{foreign.slug}/leitweg-ids/{leitweg.pk}/deaktivieren/").status_code
        == 404
    )
    leitweg.refresh_from_db()
    assert leitweg.active
    # its own administrator deactivates it
    response = admin_client.post(
        f"/verwaltung/{own.slug}/leitweg-ids/{leitweg.pk}/deaktivieren/", follow=True
    )
    page = response.content.decode()
    assert "ist deaktiviert" in page and "deaktiviert seit" in page
    leitweg.refresh_from_db()
    assert not leitweg.active and leitweg.deactivated_at is not None
    assert AuditEntry.objects.filter(
        action="authority.leitweg_id_deactivated", object_id=str(leitweg.pk)
    ).exists()
    with pytest.raises(NotFound) as refused:
        authority_for_leitweg_id(value)
    assert refused.value.code == "leitweg_id_deactivated" and own.name in refused.value.message
