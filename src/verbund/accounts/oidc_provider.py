"""Verbund as OpenID Connect provider (django-oauth-toolkit): what it accepts and the
claims it releases.

Only the authorization code flow with PKCE S256 and refresh tokens exist (RFC 9700); the
password, implicit, client-credentials and device grants are not even routed, so the token
endpoint cannot be used to test passwords. ID tokens are RS256-signed.

Connected municipal services get a pairwise `sub` (one per service, OpenID Connect Core
§8.1), the standard claims of the scopes the holder approved (`profile`: names and birth
date, `email`, `address`) and `acr`/`trust_level`/`auth_time` of the login the holder
approved the request with (`ProviderLogin`), never the account's best login ever."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import AbstractApplication, RefreshToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.openid import Server

from verbund.accounts.models import PairwiseSubject, Profile, ProviderLogin, User
from verbund.accounts.rules import TrustLevel
from verbund.core.audit import record_audit

ACR_PREFIX = "urn:verbund:trust-level:"
GRANT_TYPES = ("authorization_code", "refresh_token")
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


def acr_of(level: TrustLevel | str) -> str:
    return f"{ACR_PREFIX}{TrustLevel(level)}"


def trust_level_of_acr(value: str) -> TrustLevel | None:
    """Verbund's trust level for an `acr` value it issues; None for unknown values."""
    level = value.removeprefix(ACR_PREFIX)
    if value.startswith(ACR_PREFIX) and level in TrustLevel.values:
        return TrustLevel(level)
    return None


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def pairwise_subject(*, user: User, client_id: str) -> str:
    """The `sub` this service sees for the account: random, created on first use."""
    existing = PairwiseSubject.objects.filter(user=user, client_id=client_id).first()
    if existing is not None:
        return existing.subject
    try:
        with transaction.atomic():
            return PairwiseSubject.objects.create(
                user=user, client_id=client_id, subject=secrets.token_hex(16)
            ).subject
    except IntegrityError:  # a parallel request created it first
        return PairwiseSubject.objects.get(user=user, client_id=client_id).subject


def redirect_uri_is_safe(uri: str) -> bool:
    """https everywhere; plain http only to the holder's own machine (loopback, RFC 8252
    §7.3), which the settings allow only for development and the demo."""
    parts = urlsplit(uri)
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


class VerbundServer(Server):
    """oauthlib's OpenID server with only the grants and response types Verbund offers."""

    def __init__(self, request_validator: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(request_validator, *args, **kwargs)
        grant_types: dict[str, Any] = getattr(self, "_grant_types")  # noqa: B009
        response_types: dict[str, Any] = getattr(self, "_response_types")  # noqa: B009
        self._grant_types = {key: grant_types[key] for key in GRANT_TYPES}
        self._response_types = {"code": response_types["code"]}


class VerbundOIDCValidator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "trust_level": "openid",
        "acr": "openid",
    }

    # What the endpoints accept

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if grant_type not in GRANT_TYPES:
            return False
        return bool(super().validate_grant_type(client_id, grant_type, client, request))

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return (
            response_type == "code"
            and client.allows_grant_type(AbstractApplication.GRANT_AUTHORIZATION_CODE)
            and client.algorithm == AbstractApplication.RS256_ALGORITHM
        )

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        return redirect_uri_is_safe(redirect_uri) and bool(
            super().validate_redirect_uri(client_id, redirect_uri, request, *args, **kwargs)
        )

    def validate_silent_login(self, request: Any) -> bool:
        # The authorization view answers `prompt=none` without a fitting session itself
        # (login_required); it only gets here with a logged-in holder.
        return True

    def validate_silent_authorization(self, request: Any) -> bool:
        # Every authorization asks the holder for consent: without interaction there is
        # none (OpenID Connect Core §3.1.2.6, consent_required).
        return False

    # The login behind a code and its tokens

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> None:
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        auth = getattr(request, "verbund_auth", None) or {}
        ProviderLogin.objects.create(
            user=request.user,
            client_id=client_id,
            code_hash=code_hash(code["code"]),
            method=auth.get("method", ""),
            trust_level=auth.get("trust_level", TrustLevel.BASIC),
            authenticated_at=auth.get("authenticated_at") or timezone.now(),
        )

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        valid = bool(super().validate_code(client_id, code, client, request, *args, **kwargs))
        login = ProviderLogin.objects.filter(
            code_hash=code_hash(code), client_id=client.client_id
        ).first()
        if not valid:
            if login is not None and login.redeemed_at is not None:
                revoke_tokens_of_reused_code(login)
            return False
        request.verbund_login = login
        return True

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        valid = bool(
            super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        )
        if valid:
            family = request.refresh_token_instance.token_family
            request.verbund_login = ProviderLogin.objects.filter(token_family=family).first()
        return valid

    def _save_bearer_token(
        self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        result = super()._save_bearer_token(token, request, *args, **kwargs)
        login = getattr(request, "verbund_login", None)
        if request.grant_type == "authorization_code" and login is not None:
            refresh = RefreshToken.objects.filter(
                token_checksum=code_hash(token.get("refresh_token") or "")
            ).first()
            login.redeemed_at = timezone.now()
            login.token_family = refresh.token_family if refresh is not None else None
            login.save(update_fields=["redeemed_at", "token_family", "updated_at"])
        return result

    def _login_of(self, request: Any) -> ProviderLogin | None:
        login = getattr(request, "verbund_login", None)
        if login is not None:
            return login
        access_token = getattr(request, "access_token", None)
        refresh = RefreshToken.objects.filter(access_token=access_token).first()
        if access_token is None or refresh is None or refresh.token_family is None:
            return None
        return ProviderLogin.objects.filter(token_family=refresh.token_family).first()

    # Claims

    def get_claim_dict(self, request: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": pairwise_subject(user=request.user, client_id=request.client.client_id)
        }
        claims.update(self.get_additional_claims(request))
        return claims

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user: User = request.user
        login = self._login_of(request)
        # Without a recorded login nothing more than a password login is claimed.
        level = TrustLevel(login.trust_level) if login is not None else TrustLevel.BASIC
        profile = Profile.objects.filter(user=user).first()
        claims: dict[str, Any] = {
            "trust_level": str(level),
            "acr": acr_of(level),
            "email": user.email,
            "email_verified": user.email_verified_at is not None,
        }
        if profile is not None:
            claims.update(
                {
                    "given_name": profile.given_name,
                    "family_name": profile.family_name,
                    "name": profile.display_name,
                    "birthdate": profile.birth_date.isoformat() if profile.birth_date else "",
                    "address": {
                        "street_address": profile.street,
                        "postal_code": profile.postal_code,
                        "locality": profile.city,
                        "country": "DE",
                    },
                }
            )
        return claims

    def get_id_token_dictionary(
        self, token: Any, token_handler: Any, request: Any
    ) -> tuple[dict[str, Any], datetime.datetime]:
        claims, expires = super().get_id_token_dictionary(token, token_handler, request)
        login = self._login_of(request)
        if login is not None:
            claims["auth_time"] = int(login.authenticated_at.timestamp())
        return claims, expires

    def get_discovery_claims(self, request: Any) -> list[str]:
        return [
            "sub",
            "trust_level",
            "acr",
            "auth_time",
            "email",
            "email_verified",
            "given_name",
            "family_name",
            "name",
            "birthdate",
            "address",
        ]


def revoke_tokens_of_reused_code(login: ProviderLogin) -> None:
    """A code presented a second time was stolen or replayed: every token issued with it
    is revoked (RFC 6749 §4.1.2, RFC 9700 §4.5)."""
    with transaction.atomic():
        RefreshToken.revoke_family(login.token_family)
        record_audit(
            action="accounts.oidc_code_reused",
            actor=None,
            obj=login,
            client_id=login.client_id,
        )
