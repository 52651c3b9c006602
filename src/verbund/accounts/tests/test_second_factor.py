"""Second factor: mandatory for staff and operators, optional for citizens; TOTP and
WebAuthn passkeys verified for real; `staff_required` for other domains."""

from __future__ import annotations

import json
import time

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from verbund.accounts import access, totp
from verbund.accounts.models import Passkey, User
from verbund.accounts.tests.authenticator import SoftwareAuthenticator
from verbund.accounts.tests.conftest import TOTP_SECRET, log_in, pass_totp
from verbund.middleware import is_sender_api

pytestmark = pytest.mark.django_db


def _plain_paths(patterns, prefix: str = "") -> list[str]:
    """Every URL of the project without path parameters (pages, API, admin)."""
    found = []
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _plain_paths(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and "<" not in route and "(?P" not in route:
            path = "/" + (prefix + route).replace("^", "").replace("$", "").replace("\\", "")
            path = path.replace("/?", "")
            found.append(path.replace("//", "/"))
    return sorted(set(found))


SECOND_FACTOR_PAGES = {
    "/konto/zweiter-faktor/",
    "/konto/zweiter-faktor/passkey/optionen/",
    "/konto/zweiter-faktor/passkey/",
    "/konto/sicherheit/totp/",
    "/konto/sicherheit/passkeys/optionen/",
    "/konto/sicherheit/passkeys/",
    "/konto/abmelden/",
    "/i18n/setlang/",
}


def test_staff_reach_nothing_but_the_second_factor_pages_until_verified(client, staff):
    # given a staff member who entered the password only
    response = log_in(client, "sb.test")
    assert response["Location"].startswith("/konto/zweiter-faktor/")
    paths = _plain_paths(get_resolver().url_patterns)
    assert (
        "/konto/" in paths and "/admin/" in paths and "/.well-known/openid-configuration" in paths
    )
    assert len(paths) > 30
    # then every page and API endpoint sends them back to the second factor
    for path in paths:
        if path in SECOND_FACTOR_PAGES or path.startswith("/static/"):
            continue
        response = client.get(path)
        if is_sender_api(response.wsgi_request):
            # the sender API acts for no account: the session is not consulted there
            assert response.status_code != 403, path
        elif path.startswith("/api/"):
            assert response.status_code == 403, path
            assert response.json()["code"] == "second_factor_required"
        else:
            assert response.status_code == 302, path
            assert response["Location"].startswith("/konto/zweiter-faktor/"), path
    # when the TOTP code is entered
    verified = pass_totp(client)
    assert verified.status_code == 302
    # then the pages open
    assert client.get("/konto/").status_code == 200
    assert client.get("/").status_code == 200


def test_staff_without_a_factor_must_set_one_up_first(client, staff_without_factor):
    log_in(client, "neu.test")
    response = client.get("/konto/zweiter-faktor/")
    assert response.status_code == 302 and response["Location"].startswith(
        "/konto/sicherheit/totp/"
    )
    page = client.get("/konto/sicherheit/totp/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()  # QR code without JavaScript
    secret = staff_without_factor.totp_device.secret
    wrong = client.post("/konto/sicherheit/totp/", {"code": "000000"})
    assert wrong.status_code == 200 and "Der Code stimmt nicht" in wrong.content.decode()
    assert client.get("/konto/").status_code == 302
    done = client.post("/konto/sicherheit/totp/", {"code": totp.current_code(secret)})
    assert done.status_code == 302
    assert client.get("/konto/").status_code == 200


def test_a_totp_code_counts_only_once(client, staff):
    now = time.time()
    code = totp.current_code(TOTP_SECRET, at=now)
    log_in(client, "sb.test")
    assert client.post("/konto/zweiter-faktor/", {"code": code}).status_code == 302
    other = Client()
    log_in(other, "sb.test")
    replay = other.post("/konto/zweiter-faktor/", {"code": code})
    assert replay.status_code == 200
    assert "schon verwendet" in replay.content.decode()


def test_a_second_enrolment_cannot_bypass_the_existing_factor(client, staff):
    log_in(client, "sb.test")
    assert client.get("/konto/sicherheit/totp/")["Location"].startswith("/konto/zweiter-faktor/")
    assert client.post("/konto/sicherheit/passkeys/optionen/").status_code == 403


def test_citizens_without_a_factor_log_in_with_the_password_only(client, citizen):
    response = log_in(client, citizen.email)
    assert response["Location"] == "/konto/"
    assert client.get("/konto/").status_code == 200


def test_a_citizen_registers_a_passkey_and_then_must_use_it(client, citizen):
    authenticator = SoftwareAuthenticator()
    log_in(client, citizen.email)
    # when the citizen registers a passkey on the account page
    options = client.post("/konto/sicherheit/passkeys/optionen/").json()
    assert options["rp"]["id"] == "testserver"
    response = client.post(
        "/konto/sicherheit/passkeys/",
        json.dumps({"name": "Sicherheitsschlüssel", "credential": authenticator.create(options)}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    passkey = Passkey.objects.get(user=citizen)
    assert passkey.name == "Sicherheitsschlüssel"
    # then the next login needs the passkey
    fresh = Client()
    assert log_in(fresh, citizen.email)["Location"].startswith("/konto/zweiter-faktor/")
    assert fresh.get("/konto/").status_code == 302
    options = fresh.post("/konto/zweiter-faktor/passkey/optionen/").json()
    assertion = authenticator.get(options)
    verified = fresh.post(
        "/konto/zweiter-faktor/passkey/?next=/konto/",
        json.dumps(assertion),
        content_type="application/json",
    )
    assert verified.status_code == 200 and verified.json()["redirect"] == "/konto/"
    assert fresh.get("/konto/").status_code == 200
    passkey.refresh_from_db()
    assert passkey.sign_count == 1


def test_a_forged_or_replayed_passkey_assertion_is_refused(client, citizen):
    authenticator = SoftwareAuthenticator()
    log_in(client, citizen.email)
    options = client.post("/konto/sicherheit/passkeys/optionen/").json()
    client.post(
        "/konto/sicherheit/passkeys/",
        json.dumps({"name": "Key", "credential": authenticator.create(options)}),
        content_type="application/json",
    )
    fresh = Client()
    log_in(fresh, citizen.email)
    options = fresh.post("/konto/zweiter-faktor/passkey/optionen/").json()
    # a different key with the same credential id (forged signature)
    impostor = SoftwareAuthenticator()
    impostor.credential_id = authenticator.credential_id
    forged = fresh.post(
        "/konto/zweiter-faktor/passkey/",
        json.dumps(impostor.get(options)),
        content_type="application/json",
    )
    assert forged.status_code == 400
    assert fresh.get("/konto/").status_code == 302
    # a genuine assertion for an old challenge (the options were used up)
    stale = fresh.post(
        "/konto/zweiter-faktor/passkey/",
        json.dumps(authenticator.get(options)),
        content_type="application/json",
    )
    assert stale.status_code == 400


def test_staff_keep_at_least_one_factor(staff_client, staff):
    response = staff_client.post("/konto/sicherheit/totp/entfernen/")
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.totp_device.is_confirmed


def _view(request):
    return HttpResponse("Posteingang")


def test_staff_required_lets_only_verified_staff_through(client, staff, citizen):
    view = access.staff_required(_view)
    factory = RequestFactory()
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    def request_for(user, *, verified: bool):
        request = factory.get("/behoerde/eingang/")
        request.user = user
        request.session = SessionStore()
        if verified:
            request.session["verbund.auth"] = {
                "method": "password",
                "trust_level": "basic",
                "second_factor": "totp",
            }
        return request

    anonymous = view(request_for(AnonymousUser(), verified=False))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/konto/anmelden/")
    unverified = view(request_for(staff, verified=False))
    assert unverified["Location"].startswith("/konto/zweiter-faktor/")
    with pytest.raises(access.PermissionDenied):
        view(request_for(citizen, verified=True))
    assert view(request_for(staff, verified=True)).content == b"Posteingang"
    operator = User.objects.get(username="betrieb.land")
    with pytest.raises(access.PermissionDenied):
        view(request_for(operator, verified=True))
    assert access.operator_required(_view)(request_for(operator, verified=True)).status_code == 200


def test_demo_staff_log_in_with_the_documented_totp_secret(client):
    from verbund.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

    log_in(client, "sb.hanstein", DEMO_PASSWORD)
    assert pass_totp(client, DEMO_TOTP_SECRET).status_code == 302
    assert client.get("/konto/").status_code == 200


def test_django_admin_logs_in_through_the_servicekonto(client):
    from verbund.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response["Location"])
    assert login.status_code == 302 and login["Location"].startswith("/konto/anmelden/?next=")
    # the operator logs in with the password and still needs the second factor for admin
    log_in(client, "betrieb.land", DEMO_PASSWORD, next="/admin/")
    assert client.get("/admin/")["Location"].startswith("/konto/zweiter-faktor/")
    pass_totp(client, DEMO_TOTP_SECRET)
    assert client.get("/admin/").status_code == 200


def test_a_citizen_cannot_reach_django_admin(client, citizen):
    log_in(client, citizen.email)
    assert client.get("/admin/login/?next=/admin/").status_code == 403
