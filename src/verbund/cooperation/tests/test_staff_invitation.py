"""An authority's administrator invites a colleague from /verwaltung/: the account and its
membership of exactly that authority are created, the invitation goes out as a queued mail,
the link sets the password once and leads to the TOTP enrolment; the administrator can
deactivate a colleague. Another authority's administrator gets 404."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail, signing
from django.test import Client

from verbund.accounts import totp
from verbund.accounts.models import User
from verbund.authorities.models import StaffMembership, StaffRole
from verbund.core import tasks
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "Sicheres-Passwort-42"
INVITE = {
    "vorname": "Erika",
    "nachname": "Beispiel",
    "email": "Erika.Beispiel@gera.example",
    "rolle": StaffRole.CLERK,
    "aufgaben": "99102",
}


@pytest.fixture
def admin_client(admin, login_staff) -> Client:
    client = Client()
    login_staff(client, admin)
    return client


def _invite(client: Client, slug: str, **changes: str):  # type: ignore[no-untyped-def]
    return client.post(f"/verwaltung/{slug}/mitarbeitende/einladen/", {**INVITE, **changes})


def _link() -> str:
    tasks.run_pending()
    assert mail.outbox, "no invitation mail was sent"
    match = re.search(r"http://testserver(/konto/einladung/\S+)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_invited_colleague_sets_password_and_totp_and_works_for_that_authority(own, admin_client):
    # when the administrator invites
    response = _invite(admin_client, own.slug)
    # then the account exists without a password, member of exactly this authority
    assert response.status_code == 302
    user = User.objects.get(email="erika.beispiel@gera.example")
    assert user.kind == User.Kind.STAFF and not user.has_usable_password()
    membership = StaffMembership.objects.get(user=user)
    assert membership.authority == own and membership.role == StaffRole.CLERK
    assert membership.service_areas == ["99102"]
    assert mail.outbox == []  # queued as a task, not sent inside the request
    page = admin_client.get(f"/verwaltung/{own.slug}/mitarbeitende/").content.decode()
    assert "eingeladen, noch nicht angenommen" in page and "Erika Beispiel" in page
    link = _link()
    assert "Stadtverwaltung Gera" in mail.outbox[-1].subject
    # when the invitee follows the link and sets a password
    invitee = Client()
    assert "Einladung annehmen" in invitee.get(link).content.decode()
    answer = invitee.post(link, {"password": PASSWORD, "password_again": PASSWORD})
    # then the TOTP enrolment comes next, and only then the authority's pages
    assert answer.status_code == 302 and answer["Location"].startswith("/konto/sicherheit/totp/")
    assert invitee.get("/sachbearbeitung/").status_code == 302
    invitee.get(answer["Location"])
    secret = user.totp_device.secret
    done = invitee.post(answer["Location"], {"code": totp.current_code(secret)})
    assert done.status_code == 302 and done["Location"] == "/verwaltung/"
    assert invitee.get(f"/sachbearbeitung/{own.slug}/").status_code == 200
    # the link worked once
    assert "schon verwendet" in Client().get(link).content.decode()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "account.staff_invited",
        "cooperation.staff_invited",
        "authority.staff_added",
        "account.staff_invitation_accepted",
        "account.totp_enabled",
    } <= actions


def test_the_invitation_expires(own, admin_client, monkeypatch):
    _invite(admin_client, own.slug)
    link = _link()
    # eight days later (the link is valid for seven)
    later = time.time() + 8 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = Client().post(link, {"password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 400 and "abgelaufen" in response.content.decode()
    assert not User.objects.get(email="erika.beispiel@gera.example").has_usable_password()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "t-admin"}, "gültige E-Mail-Adresse"),
        ({"nachname": ""}, "Nachname"),
        ({"rolle": "chef"}, "Rolle"),
        ({"aufgaben": "Hund"}, "passt nicht"),
    ],
)
def test_bad_invitation_is_a_german_message_and_creates_nothing(
    own, admin_client, changes, message
):
    response = _invite(admin_client, own.slug, **changes)
    page = admin_client.get(response["Location"]).content.decode()
    assert message in page
    assert not User.objects.filter(first_name="Erika").exists()
    tasks.run_pending()
    assert mail.outbox == []


def test_an_existing_address_is_refused(own, admin_client, foreign_admin):
    foreign_admin.email = "suhl@example.org"
    foreign_admin.save()
    response = _invite(admin_client, own.slug, email="SUHL@example.org")
    assert "gibt es schon ein Konto" in admin_client.get(response["Location"]).content.decode()
    assert not StaffMembership.objects.filter(user=foreign_admin, authority=own).exists()


def test_admin_deactivates_a_colleague(own, foreign, admin_client, admin):
    _invite(admin_client, own.slug)
    user = User.objects.get(email="erika.beispiel@gera.example")
    membership = StaffMembership.objects.get(user=user)
    response = admin_client.post(
        f"/verwaltung/{own.slug}/mitarbeitende/{membership.pk}/deaktivieren/"
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    user.refresh_from_db()
    assert not membership.active and not user.is_active
    assert (
        "deaktiviert" in admin_client.get(f"/verwaltung/{own.slug}/mitarbeitende/").content.decode()
    )
    assert AuditEntry.objects.filter(action="account.deactivated", object_id=str(user.pk)).exists()
    # the invitation link of a deactivated account no longer works
    assert Client().get(_link()).status_code == 400
    # taking the colleague back reactivates the account
    admin_client.post(
        f"/verwaltung/{own.slug}/mitarbeitende/speichern/",
        {"konto": user.username, "rolle": StaffRole.CLERK, "aktiv": "1"},
    )
    user.refresh_from_db()
    assert user.is_active


def test_a_colleague_of_two_authorities_keeps_the_account(own, foreign, admin_client):
    _invite(admin_client, own.slug)
    user = User.objects.get(email="erika.beispiel@gera.example")
    StaffMembership.objects.create(user=user, authority=foreign, role=StaffRole.CLERK)
    membership = StaffMembership.objects.get(user=user, authority=own)
    admin_client.post(f"/verwaltung/{own.slug}/mitarbeitende/{membership.pk}/deaktivieren/")
    user.refresh_from_db()
    assert user.is_active
    assert StaffMembership.objects.get(user=user, authority=foreign).active


def test_the_last_administrator_cannot_be_deactivated(own, admin_client, admin):
    membership = StaffMembership.objects.get(user=admin)
    response = admin_client.post(
        f"/verwaltung/{own.slug}/mitarbeitende/{membership.pk}/deaktivieren/", follow=True
    )
    assert "letzte Administration" in response.content.decode()
    membership.refresh_from_db()
    assert membership.active


def test_another_authority_gets_404(own, foreign, admin_client, foreign_admin):
    # the administrator of Gera cannot invite into, nor deactivate anyone of, Suhl
    assert _invite(admin_client, foreign.slug).status_code == 404
    other = StaffMembership.objects.get(user=foreign_admin)
    url = f"/verwaltung/{own.slug}/mitarbeitende/{other.pk}/deaktivieren/"
    assert admin_client.post(url).status_code == 404
    url = f"/verwaltung/{foreign.slug}/mitarbeitende/{other.pk}/deaktivieren/"
    assert admin_client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.active and not User.objects.filter(first_name="Erika").exists()
