"""Registration with e-mail verification, login, password reset, deletion, export."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.db import connection
from django.test import override_settings

from verbund.accounts import actions
from verbund.accounts.models import FederatedIdentity, Organisation, Profile, User
from verbund.accounts.rules import TrustLevel
from verbund.accounts.tests.conftest import (
    PASSWORD,
    link_in_last_mail,
    log_in,
    run_mail_worker,
)
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def register(client, **overrides):
    data = {
        "given_name": "Jonas",
        "family_name": "Keller",
        "email": "Jonas.Keller@example.org",
        "password": PASSWORD,
        "password_again": PASSWORD,
        **overrides,
    }
    return client.post("/konto/registrieren/", data)


def test_registration_sends_a_verification_link_that_unlocks_login(
    client, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client)
    # then
    assert response.status_code == 200
    assert "Bitte bestätigen Sie Ihre E-Mail-Adresse" in response.content.decode()
    user = User.objects.get(email="jonas.keller@example.org")
    assert user.kind == User.Kind.CITIZEN and user.email_verified_at is None
    assert mail.outbox == []  # queued, not sent inside the request
    assert run_mail_worker()[-1].to == ["jonas.keller@example.org"]
    # login is refused until the address is verified
    refused = log_in(client, "jonas.keller@example.org")
    assert refused.status_code == 200
    assert "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # when the link is followed
    verified = client.get(link_in_last_mail())
    assert verified.status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None
    # then login works, at trust level basic
    response = log_in(client, "JONAS.KELLER@example.org")
    assert response.status_code == 302 and response["Location"] == "/konto/"
    page = client.get("/konto/")
    assert page.status_code == 200
    assert 'data-session-trust-level="basic"' in page.content.decode()


def test_registration_with_a_taken_address_reveals_nothing(
    client, citizen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, email=citizen.email)
    assert response.status_code == 200
    assert "Bitte bestätigen Sie Ihre E-Mail-Adresse" in response.content.decode()
    assert User.objects.filter(email=citizen.email).count() == 1
    assert "bereits" in run_mail_worker()[-1].subject


def test_registration_refuses_weak_and_mismatched_passwords(client):
    weak = register(client, password="12345678", password_again="12345678")
    assert weak.status_code == 200
    body = weak.content.decode()
    assert 'href="#id_password"' in body  # error summary links to the field
    assert not User.objects.filter(email="jonas.keller@example.org").exists()
    mismatch = register(client, password_again="anders-als-oben-1")
    assert 'aria-invalid="true"' in mismatch.content.decode()


def test_organisation_registration_creates_the_organisation_with_its_first_login(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/konto/registrieren/organisation/",
            {
                "organisation_name": "Bäckerei Sonnenschein e. K.",
                "legal_form": "einzelunternehmen",
                "street": "Marktstraße 3",
                "postal_code": "37308",
                "city": "Heilbad Heiligenstadt",
                "email": "kontakt@baeckerei.example.org",
                "password": PASSWORD,
                "password_again": PASSWORD,
            },
        )
    organisation = Organisation.objects.get(name="Bäckerei Sonnenschein e. K.")
    member = organisation.memberships.get()
    assert member.user.kind == User.Kind.ORGANISATION and member.role == "admin"


def test_organisation_admin_adds_a_person_who_sets_a_password(
    client, django_capture_on_commit_callbacks
):
    # given an organisation with its admin logged in
    admin = actions.upsert_account(
        username="chef@firma.example.org",
        email="chef@firma.example.org",
        kind=User.Kind.ORGANISATION,
        actor="test",
        password=PASSWORD,
    )
    organisation = Organisation.objects.create(
        name="Firma", legal_form="gmbh", street="Weg 1", postal_code="99084", city="Erfurt"
    )
    organisation.memberships.create(user=admin, role="admin")
    log_in(client, "chef@firma.example.org")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/konto/organisation/{organisation.pk}/", {"email": "buero@firma.example.org"}
        )
    # then
    assert response.status_code == 302
    link = link_in_last_mail()
    other = client.__class__()
    other.post(link, {"password": "Neues-Passwort-77", "password_again": "Neues-Passwort-77"})
    assert log_in(other, "buero@firma.example.org", "Neues-Passwort-77").status_code == 302
    # and another person's organisation is not found
    stranger = client.__class__()
    log_in(stranger, "buero@firma.example.org", "Neues-Passwort-77")
    assert stranger.get(f"/konto/organisation/{organisation.pk}/").status_code == 404


def test_password_reset_sets_a_new_password_once(
    client, citizen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/konto/passwort-vergessen/", {"email": citizen.email})
    assert response.status_code == 200
    link = link_in_last_mail()
    done = client.post(
        link, {"password": "Ganz-Neues-Passwort-9", "password_again": "Ganz-Neues-Passwort-9"}
    )
    assert done.status_code == 302
    assert log_in(client, citizen.email, PASSWORD).status_code == 200  # old one is gone
    assert log_in(client, citizen.email, "Ganz-Neues-Passwort-9").status_code == 302
    # the link does not work twice
    again = client.post(
        link, {"password": "Noch-Ein-Passwort-8", "password_again": "Noch-Ein-Passwort-8"}
    )
    assert "ungültig oder abgelaufen" in again.content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing(client):
    response = client.post("/konto/passwort-vergessen/", {"email": "niemand@example.org"})
    assert response.status_code == 200
    assert run_mail_worker() == []


def test_passwords_are_hashed_with_argon2_by_the_production_settings(citizen):
    from verbund.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        citizen.set_password("Ein-Argon2-Passwort-1")
        citizen.save()
        assert identify_hasher(citizen.password).algorithm == "argon2"
        assert citizen.password.startswith("argon2$argon2id$")
        assert citizen.check_password("Ein-Argon2-Passwort-1")


def test_profile_data_is_encrypted_at_rest(citizen):
    profile = Profile.objects.get(user=citizen)
    with connection.cursor() as cursor:
        cursor.execute("SELECT given_name, city FROM accounts_profile WHERE id = %s", [profile.pk])
        given_name, city = cursor.fetchone()
    assert given_name.startswith("fernet:") and "Anna" not in given_name
    assert city.startswith("fernet:") and "Erfurt" not in city
    assert Profile.objects.get(pk=profile.pk).given_name == "Anna"


def test_profile_keys_rotate_with_old_keys_still_decrypting(citizen, settings):
    from cryptography.fernet import Fernet

    from verbund.core.encryption import fernet

    old_key = fernet()._fernets[0]._signing_key
    assert old_key
    new_key = Fernet.generate_key().decode()
    existing = list(settings.VERBUND_PROFILE_ENCRYPTION_KEYS) or [
        (settings.STATE_DIR / "profile-key").read_text().strip()
    ]
    settings.VERBUND_PROFILE_ENCRYPTION_KEYS = [new_key, *existing]
    assert Profile.objects.get(user=citizen).given_name == "Anna"
    settings.VERBUND_PROFILE_ENCRYPTION_KEYS = [new_key]
    with pytest.raises(ValueError, match="no configured profile key"):
        Profile.objects.get(user=citizen)


def test_export_contains_everything_about_the_account(client, citizen):
    FederatedIdentity.objects.create(
        user=citizen, provider="bundid", subject="bpk2-demo", trust_level=TrustLevel.HIGH
    )
    log_in(client, citizen.email)
    response = client.get("/konto/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["account"]["email"] == citizen.email
    assert data["profile"]["given_name"] == "Anna"
    assert data["linked_identities"][0]["subject"] == "bpk2-demo"
    assert any(entry["action"] == "account.logged_in" for entry in data["audit_log"])
    assert "password" not in json.dumps(data["account"]).replace("has_password", "")


def test_deletion_requires_the_password_and_removes_the_account(client, citizen):
    log_in(client, citizen.email)
    wrong = client.post("/konto/loeschen/", {"password": "falsch", "confirm": "on"})
    assert wrong.status_code == 200
    assert User.objects.filter(pk=citizen.pk).exists()
    pk = citizen.pk
    response = client.post("/konto/loeschen/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=pk).exists()
    assert not Profile.objects.filter(user_id=pk).exists()
    assert "_auth_user_id" not in client.session
    # the audit trail keeps the deletion, without the e-mail address
    entry = AuditEntry.objects.get(action="account.deleted", object_id=str(pk))
    assert entry.actor_id is None
    assert not AuditEntry.objects.filter(actor_label=citizen.email).exists()


def test_staff_cannot_delete_their_account_themselves(staff_client):
    assert staff_client.get("/konto/loeschen/").status_code == 404


def test_login_page_is_german_and_labels_every_field(client):
    response = client.get("/konto/anmelden/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<label class="kern-label" for="id_login">' in body
    assert '<label class="kern-label" for="id_password">' in body
    assert "Passwort vergessen?" in body
    assert settings.LOGIN_URL == "accounts:login"


def test_a_weak_password_is_refused_alike_for_taken_and_new_addresses(client, citizen):
    taken = register(client, email=citizen.email, password="12345678", password_again="12345678")
    new = register(client, email="neu@example.org", password="12345678", password_again="12345678")
    assert 'href="#id_password"' in taken.content.decode()
    assert 'href="#id_password"' in new.content.decode()
