"""Login with other identity providers over OpenID Connect (Verbund as relying party),
configured by VERBUND_OIDC_PROVIDERS, with authlib (authorization code + PKCE) and
joserfc (ID token signature and claims)."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from verbund.accounts.federation import FederatedLogin, FederationError
from verbund.accounts.rules import TrustLevel

# Discovery documents and key sets are fetched at most this often per process.
METADATA_TTL = 3600
_metadata_cache: dict[str, tuple[float, dict[str, Any]]] = {}


@dataclass(frozen=True)
class OidcProvider:
    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    scope: str
    trust_level: TrustLevel

    @property
    def key(self) -> str:
        return f"oidc:{self.name}"


def providers() -> dict[str, OidcProvider]:
    raw = settings.VERBUND_OIDC_PROVIDERS.strip()
    if not raw:
        return {}
    found = {}
    for item in json.loads(raw):
        provider = OidcProvider(
            name=item["name"],
            label=item.get("label", item["name"]),
            issuer=item["issuer"].rstrip("/"),
            client_id=item["client_id"],
            client_secret=item.get("client_secret", ""),
            scope=item.get("scope", "openid profile email"),
            trust_level=TrustLevel(item.get("trust_level", TrustLevel.BASIC)),
        )
        found[provider.name] = provider
    return found


def http_session() -> requests.Session:
    """The HTTP session for calls to identity providers (tests mount a local adapter)."""
    return requests.Session()


def _get_json(url: str) -> dict[str, Any]:
    cached = _metadata_cache.get(url)
    if cached and time.monotonic() - cached[0] < METADATA_TTL:
        return cached[1]
    response = http_session().get(url, timeout=10)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    _metadata_cache[url] = (time.monotonic(), data)
    return data


def metadata(provider: OidcProvider) -> dict[str, Any]:
    return _get_json(provider.issuer + "/.well-known/openid-configuration")


def _session(provider: OidcProvider, redirect_uri: str) -> OAuth2Session:
    session = OAuth2Session(
        client_id=provider.client_id,
        client_secret=provider.client_secret or None,
        scope=provider.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if provider.client_secret else "none",
    )
    for prefix, adapter in http_session().adapters.items():
        session.mount(prefix, adapter)
    return session


@dataclass(frozen=True)
class PendingLogin:
    """What the session keeps between the redirect to the provider and its answer."""

    state: str
    nonce: str
    code_verifier: str

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state, "nonce": self.nonce, "code_verifier": self.code_verifier}


def authorization_url(provider: OidcProvider, *, redirect_uri: str) -> tuple[str, PendingLogin]:
    pending = PendingLogin(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        code_verifier=secrets.token_urlsafe(48),
    )
    url, _ = _session(provider, redirect_uri).create_authorization_url(
        metadata(provider)["authorization_endpoint"],
        state=pending.state,
        nonce=pending.nonce,
        code_verifier=pending.code_verifier,
    )
    return url, pending


def complete_login(
    provider: OidcProvider,
    *,
    redirect_uri: str,
    pending: dict[str, str],
    params: dict[str, str],
) -> FederatedLogin:
    """Exchange the code, verify the ID token (signature by the provider's JWKS, issuer,
    audience, nonce, expiry) and map the claims."""
    if "error" in params:
        raise FederationError(
            f"Die Anmeldung bei {provider.label} wurde abgebrochen.", code="oidc_error"
        )
    if not pending or not secrets.compare_digest(params.get("state", ""), pending.get("state", "")):
        raise FederationError(
            "Die Antwort passt nicht zu Ihrer Anmeldung (state). Bitte starten Sie die "
            "Anmeldung erneut.",
            code="oidc_state",
        )
    meta = metadata(provider)
    try:
        token = _session(provider, redirect_uri).fetch_token(
            meta["token_endpoint"],
            code=params.get("code", ""),
            code_verifier=pending["code_verifier"],
            timeout=10,
        )
    except Exception as exc:  # authlib raises OAuthError or requests' errors
        raise FederationError(
            f"{provider.label} hat die Anmeldung nicht bestätigt.", code="oidc_token"
        ) from exc
    try:
        keys = KeySet.import_key_set(_get_json(meta["jwks_uri"]))  # type: ignore[arg-type]
        decoded = jwt.decode(token["id_token"], keys)
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": provider.client_id},
            nonce={"essential": True, "value": pending["nonce"]},
            sub={"essential": True},
            exp={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, KeyError, ValueError) as exc:
        raise FederationError(
            f"Das Anmeldetoken von {provider.label} ist ungültig.", code="oidc_id_token"
        ) from exc
    claims = dict(decoded.claims)
    address = claims.get("address") or {}
    return FederatedLogin(
        provider=provider.key,
        subject=str(claims["sub"]),
        trust_level=provider.trust_level,
        email=str(claims.get("email", "")) if claims.get("email_verified") else "",
        given_name=str(claims.get("given_name", "")),
        family_name=str(claims.get("family_name", "")),
        street=str(address.get("street_address", "")),
        postal_code=str(address.get("postal_code", "")),
        city=str(address.get("locality", "")),
    )
