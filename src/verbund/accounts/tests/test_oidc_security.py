"""Issue 11, findings 1, 2 and 13: Verbund's OpenID provider is no password oracle, follows
RFC 9700, reports the trust level of the session's own login and answers `prompt=none`,
reused codes and RP-initiated logout as OpenID Connect says."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from joserfc import jwt
from joserfc.jwk import KeySet
from oauth2_provider.models import AccessToken, RefreshToken

from verbund.accounts import actions
from verbund.accounts.models import ProviderLogin, User
from verbund.accounts.rules import LoginMethod, TrustLevel
from verbund.accounts.session_state import KEY as AUTH_KEY
from verbund.accounts.tests.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db

CLIENT_ID = "hundesteuer-erfurt"
REDIRECT_URI = "https://dienst.example.org/callback"


@pytest.fixture
def service(db):
    return actions.register_connected_service(
        name="Hundesteuer-Portal Erfurt",
        client_id=CLIENT_ID,
        redirect_uris=[REDIRECT_URI],
        actor="test",
    )


@pytest.fixture
def confidential_service(db):
    return actions.register_connected_service(
        name="Fachverfahren",
        client_id="fachverfahren",
        client_secret="fachverfahren-geheimnis-0123456789",
        confidential=True,
        redirect_uris=["https://fach.example.org/cb"],
        actor="test",
    )


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize_params(verifier: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile",
        "state": "st",
        "nonce": "n",
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
        **extra,
    }


def _code(client, verifier: str, **extra: str) -> str:
    """The holder approves the request on the consent page; returns the code."""
    page = client.get("/oidc/authorize/", _authorize_params(verifier, **extra))
    assert page.status_code == 200, page.content
    body = page.content.decode()
    fields = dict(
        (name, html.unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body)
    )
    answer = client.post("/oidc/authorize/", {**fields, "allow": "Authorize"})
    assert answer.status_code == 302, answer.content
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert query["iss"] == ["http://testserver"]  # RFC 9207
    return query["code"][0]


def _redeem(client, code: str, verifier: str):
    return client.post(
        "/oidc/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
            "code_verifier": verifier,
        },
    )


def _id_token_claims(client, raw: str) -> dict:
    keys = KeySet.import_key_set(client.get("/oidc/jwks.json").json())
    token = jwt.decode(raw, keys)
    assert token.header["alg"] == "RS256"
    return dict(token.claims)


# Finding 1: no password oracle, RFC 9700 throughout


@pytest.mark.parametrize("grant", ["password", "client_credentials", "implicit"])
def test_token_endpoint_refuses_grants_other_than_code_and_refresh(
    client, staff, confidential_service, grant
):
    # given a staff account and a confidential client (the attack in issue 11)
    # when the attacker posts the right and a wrong password with the password grant
    answers = [
        client.post(
            "/oidc/token/",
            {"grant_type": grant, "username": "sb.test", "password": password, "scope": "openid"},
            HTTP_AUTHORIZATION="Basic "
            + base64.b64encode(b"fachverfahren:fachverfahren-geheimnis-0123456789").decode(),
        )
        for password in (PASSWORD, "falsch")
    ]
    # then both get the same refusal: the grant does not exist, nothing about the password
    assert [a.status_code for a in answers] == [400, 400]
    assert [a.json()["error"] for a in answers] == ["unsupported_grant_type"] * 2
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("response_type", ["token", "id_token", "id_token token", "code token"])
def test_implicit_and_hybrid_response_types_are_refused(client, citizen, service, response_type):
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    answer = client.get(
        "/oidc/authorize/", _authorize_params(verifier, response_type=response_type)
    )
    location = answer.get("Location", "")
    assert "access_token=" not in location and "id_token=" not in location
    assert answer.status_code in {302, 400}
    if answer.status_code == 302:
        assert "error=" in location


def test_plain_pkce_is_refused(client, citizen, service):
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    answer = client.get(
        "/oidc/authorize/",
        _authorize_params(verifier, code_challenge=verifier, code_challenge_method="plain"),
    )
    assert "code=" not in answer.get("Location", "")
    if answer.status_code == 200:  # the consent page: the code must not come after it
        body = answer.content.decode()
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
        posted = client.post("/oidc/authorize/", {**fields, "allow": "Authorize"})
        assert "code=" not in posted.get("Location", "")


def test_an_http_redirect_uri_is_refused_outside_loopback(client, citizen, db):
    actions.register_connected_service(
        name="Unsicher", client_id="unsicher", redirect_uris=["http://x.example.org/cb"], actor="t"
    )
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    answer = client.get(
        "/oidc/authorize/",
        _authorize_params(verifier, client_id="unsicher", redirect_uri="http://x.example.org/cb"),
    )
    assert answer.status_code == 400
    assert "x.example.org" not in answer.get("Location", "")


def test_access_tokens_in_the_query_string_are_refused(client, citizen, service):
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    token = _redeem(client, _code(client, verifier), verifier).json()
    assert (
        client.get(
            "/oidc/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}"
        ).status_code
        == 200
    )
    assert client.get(f"/oidc/userinfo/?access_token={token['access_token']}").status_code in {
        400,
        401,
        403,
    }


def test_tokens_are_stored_hashed(client, citizen, service):
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    token = _redeem(client, _code(client, verifier), verifier).json()
    stored = AccessToken.objects.get()
    assert token["access_token"] not in {stored.token, ""} or stored.token == ""
    assert stored.token != token["access_token"]
    assert RefreshToken.objects.get().token != token["refresh_token"]


def test_a_replayed_refresh_token_revokes_the_whole_family(client, citizen, service):
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    first = _redeem(client, _code(client, verifier), verifier).json()

    def refresh(token: str):
        return client.post(
            "/oidc/token/",
            {"grant_type": "refresh_token", "refresh_token": token, "client_id": CLIENT_ID},
        )

    second = refresh(first["refresh_token"])
    assert second.status_code == 200 and second.json()["refresh_token"] != first["refresh_token"]
    # when the old refresh token is replayed
    assert refresh(first["refresh_token"]).status_code == 400
    # then the rotated one is dead as well
    assert refresh(second.json()["refresh_token"]).status_code == 400
    assert not AccessToken.objects.exists()


def test_discovery_lists_exactly_what_is_supported(client):
    meta = client.get("/.well-known/openid-configuration").json()
    assert meta["response_types_supported"] == ["code"]
    assert meta["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["subject_types_supported"] == ["pairwise"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert meta["end_session_endpoint"] == "http://testserver/oidc/logout/"
    assert "urn:verbund:trust-level:high" in meta["acr_values_supported"]


def test_check_deploy_shows_no_rfc9700_warning():
    out = io.StringIO()
    try:
        call_command("check", deploy=True, stdout=out, stderr=out)
    except Exception as exc:  # other deploy errors (DEBUG, demo settings) are not ours
        out.write(str(exc))
    assert "oauth2_provider." not in out.getvalue()


# Finding 2: acr from the session's own login


def _session_with(client, user: User, *, trust_level: TrustLevel, age: float = 0) -> None:
    client.force_login(user)
    session = client.session
    session[AUTH_KEY] = {
        "method": LoginMethod.BUNDID if trust_level != TrustLevel.BASIC else LoginMethod.PASSWORD,
        "trust_level": str(trust_level),
        "second_factor": None,
        "authenticated_at": time.time() - age,
        "has_device": False,
    }
    session.save()


def test_a_password_session_gets_basic_acr_although_the_account_once_had_eid(
    client, citizen, service
):
    # given an account that once logged in with the eID card
    citizen.trust_level = TrustLevel.HIGH
    citizen.save(update_fields=["trust_level"])
    # when it now logs in with its password and signs in at the service
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    token = _redeem(client, _code(client, verifier), verifier).json()
    # then ID token and userinfo report this session's level, not the best ever
    claims = _id_token_claims(client, token["id_token"])
    assert claims["acr"] == "urn:verbund:trust-level:basic"
    assert claims["trust_level"] == "basic"
    userinfo = client.get(
        "/oidc/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}"
    ).json()
    assert userinfo["acr"] == "urn:verbund:trust-level:basic"
    assert userinfo["trust_level"] == "basic"


def test_an_eid_session_gets_high_acr_and_keeps_it_after_refresh(client, citizen, service):
    _session_with(client, citizen, trust_level=TrustLevel.HIGH, age=30)
    verifier = secrets.token_urlsafe(48)
    token = _redeem(client, _code(client, verifier), verifier).json()
    claims = _id_token_claims(client, token["id_token"])
    assert claims["acr"] == "urn:verbund:trust-level:high"
    assert abs(claims["auth_time"] - (time.time() - 30)) < 5
    refreshed = client.post(
        "/oidc/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": CLIENT_ID,
        },
    ).json()
    assert _id_token_claims(client, refreshed["id_token"])["acr"] == "urn:verbund:trust-level:high"


def test_acr_values_above_the_session_send_the_holder_to_log_in_again(client, citizen, service):
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    answer = client.get(
        "/oidc/authorize/",
        _authorize_params(verifier, acr_values="urn:verbund:trust-level:substantial"),
    )
    assert answer.status_code == 302
    assert answer["Location"].startswith("/konto/anmelden/")
    assert "acr_values" not in parse_qs(urlsplit(answer["Location"]).query)["next"][0]


def test_max_age_exceeded_sends_the_holder_to_log_in_again(client, citizen, service):
    _session_with(client, citizen, trust_level=TrustLevel.BASIC, age=600)
    verifier = secrets.token_urlsafe(48)
    answer = client.get("/oidc/authorize/", _authorize_params(verifier, max_age="300"))
    assert answer.status_code == 302 and answer["Location"].startswith("/konto/anmelden/")
    fresh = client.get("/oidc/authorize/", _authorize_params(verifier, max_age="900"))
    assert fresh.status_code == 200


def test_acr_values_with_prompt_none_answer_login_required(client, citizen, service):
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    answer = client.get(
        "/oidc/authorize/",
        _authorize_params(verifier, prompt="none", acr_values="urn:verbund:trust-level:high"),
    )
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert answer["Location"].startswith(REDIRECT_URI)
    assert query["error"] == ["login_required"] and query["state"] == ["st"]


# Finding 13: prompt=none, pairwise sub, code reuse, RP-initiated logout


def test_prompt_none_without_session_answers_login_required(client, service):
    verifier = secrets.token_urlsafe(48)
    answer = client.get("/oidc/authorize/", _authorize_params(verifier, prompt="none"))
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert answer["Location"].startswith(REDIRECT_URI)
    assert query["error"] == ["login_required"] and query["iss"] == ["http://testserver"]


def test_prompt_none_with_session_answers_consent_required(client, citizen, service):
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    answer = client.get("/oidc/authorize/", _authorize_params(verifier, prompt="none"))
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer["Location"]).query)["error"] == ["consent_required"]


def test_prompt_none_never_redirects_to_a_foreign_uri(client, service):
    verifier = secrets.token_urlsafe(48)
    answer = client.get(
        "/oidc/authorize/",
        _authorize_params(verifier, prompt="none", redirect_uri="https://evil.example.org/"),
    )
    assert answer.status_code == 400


def test_sub_is_pairwise_per_service_and_stable(client, citizen, service):
    other = actions.register_connected_service(
        name="Anderer Dienst",
        client_id="anderer-dienst",
        redirect_uris=[REDIRECT_URI],
        actor="test",
    )
    assert other.client_id == "anderer-dienst"
    log_in(client, citizen.email)
    subs = []
    for client_id in (CLIENT_ID, CLIENT_ID, "anderer-dienst"):
        verifier = secrets.token_urlsafe(48)
        page = client.get("/oidc/authorize/", _authorize_params(verifier, client_id=client_id))
        body = page.content.decode()
        fields = dict(
            (n, html.unescape(v))
            for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body)
        )
        location = client.post("/oidc/authorize/", {**fields, "allow": "Authorize"})["Location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        token = client.post(
            "/oidc/token/",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": client_id,
                "code_verifier": verifier,
            },
        ).json()
        subs.append(_id_token_claims(client, token["id_token"])["sub"])
    assert subs[0] == subs[1]
    assert subs[0] != subs[2]
    assert str(citizen.pk) not in subs


def test_reusing_a_code_revokes_the_tokens_issued_with_it(client, citizen, service):
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    code = _code(client, verifier)
    first = _redeem(client, code, verifier)
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert client.get("/oidc/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    # when the code is presented again
    again = _redeem(client, code, verifier)
    # then it is refused and the tokens of the first redemption are revoked
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert client.get("/oidc/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401
    refreshed = client.post(
        "/oidc/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": first.json()["refresh_token"],
            "client_id": CLIENT_ID,
        },
    )
    assert refreshed.status_code == 400
    assert ProviderLogin.objects.get().redeemed_at is not None


def test_rp_initiated_logout_ends_the_session(client, citizen, service):
    actions.register_connected_service(
        name="Hundesteuer-Portal Erfurt",
        client_id=CLIENT_ID,
        redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=["https://dienst.example.org/abgemeldet"],
        actor="test",
    )
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    token = _redeem(client, _code(client, verifier), verifier).json()
    page = client.get(
        "/oidc/logout/",
        {
            "id_token_hint": token["id_token"],
            "client_id": CLIENT_ID,
            "post_logout_redirect_uri": "https://dienst.example.org/abgemeldet",
        },
    )
    assert page.status_code == 200
    body = page.content.decode()
    fields = dict(
        (n, html.unescape(v))
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body)
    )
    answer = client.post("/oidc/logout/", {**fields, "allow": "Abmelden"})
    assert answer.status_code == 302
    assert answer["Location"] == "https://dienst.example.org/abgemeldet"
    assert "_auth_user_id" not in client.session
    assert not AccessToken.objects.exists()


def test_with_loopback_http_on_only_loopback_hosts_may_use_http(client, citizen, settings):
    # the demo (VERBUND_OIDC_LOOPBACK_HTTP) lets http through DOT's scheme check ...
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    }
    actions.register_connected_service(
        name="Demo",
        client_id="demo",
        redirect_uris=["http://127.0.0.1:8001/callback", "http://demo.example.org/cb"],
        actor="test",
    )
    log_in(client, citizen.email)
    verifier = secrets.token_urlsafe(48)
    loopback = client.get(
        "/oidc/authorize/",
        _authorize_params(
            verifier, client_id="demo", redirect_uri="http://127.0.0.1:8001/callback"
        ),
    )
    assert loopback.status_code == 200
    # ... but only to the holder's own machine
    other = client.get(
        "/oidc/authorize/",
        _authorize_params(verifier, client_id="demo", redirect_uri="http://demo.example.org/cb"),
    )
    assert other.status_code == 400
