"""Verbund as OpenID provider, tested with authlib as a real client (authorization code
with PKCE), and Verbund as relying party of a provider configured in the settings."""

from __future__ import annotations

import html
import json
import re
import secrets
from urllib.parse import urlsplit

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from verbund.accounts import actions, oidc_client
from verbund.accounts.models import FederatedIdentity
from verbund.accounts.oidc_provider import pairwise_subject
from verbund.accounts.tests.conftest import log_in
from verbund.accounts.tests.django_transport import DjangoClientAdapter, session_for

pytestmark = pytest.mark.django_db

REDIRECT_URI = "https://dienst.example.org/callback"


@pytest.fixture
def service(db):
    return actions.register_connected_service(
        name="Hundesteuer-Portal Erfurt",
        client_id="hundesteuer-erfurt",
        redirect_uris=[REDIRECT_URI],
        actor="test",
    )


def _oauth(scope: str = "openid profile email address") -> OAuth2Session:
    session = OAuth2Session(
        client_id="hundesteuer-erfurt",
        scope=scope,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    session.mount("http://testserver", DjangoClientAdapter())
    return session


def _approve(browser, url: str) -> str:
    """The holder sees the consent page and allows; returns the redirect with the code."""
    parts = urlsplit(url)
    page = browser.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200, page.content
    body = page.content.decode()
    assert "Hundesteuer-Portal Erfurt" in body and "Erlauben" in body
    fields = dict(
        (name, html.unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body)
    )
    response = browser.post(parts.path, {**fields, "allow": "Authorize"})
    assert response.status_code == 302, response.content
    return response["Location"]


def test_discovery_document_at_the_origin(client):
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    meta = response.json()
    assert meta["issuer"] == "http://testserver"
    assert meta["authorization_endpoint"] == "http://testserver/oidc/authorize/"
    assert meta["jwks_uri"] == "http://testserver/oidc/jwks.json"
    assert "S256" in meta["code_challenge_methods_supported"]
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
    keys = client.get("/oidc/jwks.json").json()["keys"]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"


def test_authlib_logs_in_through_the_code_flow_with_pkce(client, citizen, service):
    # given a citizen logged in at Verbund, and a municipal service using authlib
    log_in(client, citizen.email)
    oauth = _oauth()
    meta = oauth.get(
        "http://testserver/.well-known/openid-configuration", withhold_token=True
    ).json()
    code_verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = oauth.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce
    )
    assert "code_challenge=" in url and "code_challenge_method=S256" in url
    # when the citizen approves and the service redeems the code
    callback = _approve(client, url)
    assert callback.startswith(REDIRECT_URI) and f"state={state}" in callback
    token = oauth.fetch_token(
        meta["token_endpoint"], authorization_response=callback, code_verifier=code_verifier
    )
    # then the ID token is RS256-signed by Verbund's published key and names the citizen
    keys = KeySet.import_key_set(oauth.get(meta["jwks_uri"], withhold_token=True).json())
    id_token = jwt.decode(token["id_token"], keys)
    assert id_token.header["alg"] == "RS256"
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": "http://testserver"},
        aud={"essential": True, "value": "hundesteuer-erfurt"},
        nonce={"essential": True, "value": nonce},
    ).validate(id_token.claims)
    assert id_token.claims["sub"] == pairwise_subject(user=citizen, client_id="hundesteuer-erfurt")
    # and userinfo releases the profile claims of the approved scopes
    userinfo = oauth.get(meta["userinfo_endpoint"]).json()
    assert userinfo["given_name"] == "Anna" and userinfo["family_name"] == "Schmidt"
    assert userinfo["email"] == citizen.email and userinfo["email_verified"] is True
    assert userinfo["address"]["locality"] == "Erfurt"
    assert userinfo["trust_level"] == "basic"


def test_userinfo_releases_only_approved_scopes(client, citizen, service):
    log_in(client, citizen.email)
    oauth = _oauth(scope="openid")
    verifier = secrets.token_urlsafe(48)
    url, _ = oauth.create_authorization_url(
        "http://testserver/oidc/authorize/", code_verifier=verifier, nonce="n"
    )
    oauth.fetch_token(
        "http://testserver/oidc/token/",
        authorization_response=_approve(client, url),
        code_verifier=verifier,
    )
    userinfo = oauth.get("http://testserver/oidc/userinfo/").json()
    assert userinfo["sub"] == pairwise_subject(user=citizen, client_id="hundesteuer-erfurt")
    assert "given_name" not in userinfo and "address" not in userinfo


def test_a_wrong_code_verifier_gets_no_token(client, citizen, service):
    log_in(client, citizen.email)
    oauth = _oauth()
    url, _ = oauth.create_authorization_url(
        "http://testserver/oidc/authorize/", code_verifier=secrets.token_urlsafe(48), nonce="n"
    )
    callback = _approve(client, url)
    with pytest.raises(OAuthError, match="invalid_grant"):
        oauth.fetch_token(
            "http://testserver/oidc/token/",
            authorization_response=callback,
            code_verifier=secrets.token_urlsafe(48),
        )


def test_an_authorization_request_without_pkce_is_refused(client, citizen, service):
    log_in(client, citizen.email)
    response = client.get(
        "/oidc/authorize/",
        {
            "response_type": "code",
            "client_id": "hundesteuer-erfurt",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": "s",
        },
    )
    location = response.get("Location", "")
    assert "code=" not in location
    assert response.status_code in {302, 400}
    if response.status_code == 302:
        assert "error=invalid_request" in location


# Verbund as relying party of another OpenID provider, configured in the settings. The
# provider here is Verbund's own, so the test needs no second server.


@pytest.fixture
def verbund_as_provider(settings, monkeypatch, db):
    actions.register_connected_service(
        name="Verbund als Identitätsanbieter (Test)",
        client_id="rp-test",
        client_secret="rp-test-geheimnis-0123456789",
        confidential=True,
        redirect_uris=["https://testserver/konto/anmelden/oidc/landeskonto/antwort/"],
        actor="test",
    )
    settings.VERBUND_OIDC_PROVIDERS = json.dumps(
        [
            {
                "name": "landeskonto",
                "label": "Landeskonto",
                "issuer": "https://testserver",
                "client_id": "rp-test",
                "client_secret": "rp-test-geheimnis-0123456789",
                "scope": "openid profile email",
                "trust_level": "substantial",
            }
        ]
    )
    oidc_client._metadata_cache.clear()
    monkeypatch.setattr(oidc_client, "http_session", lambda: session_for())


def test_oidc_login_links_the_provider_identity(client, citizen, verbund_as_provider):
    log_in(client, citizen.email)
    assert "Landeskonto verknüpfen" in client.get("/konto/").content.decode()
    start = client.get("/konto/anmelden/oidc/landeskonto/?next=/konto/", secure=True)
    assert start.status_code == 302 and "code_challenge_method=S256" in start["Location"]
    callback = _approve_for(client, start["Location"])
    assert callback.startswith("https://testserver/konto/anmelden/oidc/landeskonto/antwort/")
    finished = client.get(callback.removeprefix("https://testserver"), secure=True)
    assert finished.status_code == 302, finished.content
    identity = FederatedIdentity.objects.get(provider="oidc:landeskonto")
    assert identity.user == citizen
    assert identity.subject == pairwise_subject(user=citizen, client_id="rp-test")
    assert identity.trust_level == "substantial"


def _approve_for(browser, url: str) -> str:
    parts = urlsplit(url)
    page = browser.get(f"{parts.path}?{parts.query}")
    body = page.content.decode()
    fields = dict(
        (name, html.unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body)
    )
    return browser.post(parts.path, {**fields, "allow": "Authorize"})["Location"]


def test_an_oidc_answer_with_a_foreign_state_is_refused(client, citizen, verbund_as_provider):
    log_in(client, citizen.email)
    client.get("/konto/anmelden/oidc/landeskonto/")
    response = client.get("/konto/anmelden/oidc/landeskonto/antwort/?code=abc&state=gefaelscht")
    assert response.status_code == 403
    assert "passt nicht zu Ihrer Anmeldung" in response.content.decode()
    assert not FederatedIdentity.objects.filter(provider="oidc:landeskonto").exists()
