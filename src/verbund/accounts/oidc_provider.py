"""Verbund as OpenID Connect provider (django-oauth-toolkit): the claims it releases.

Connected municipal services get the standard claims of the scopes the holder approved
(`profile`: names and birth date, `email`, `address`) and `trust_level`, the highest trust
level the account has proven (basic / substantial / high)."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from verbund.accounts.models import Profile, User


class VerbundOIDCValidator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "trust_level": "openid",
        "acr": "openid",
    }

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user: User = request.user
        profile = Profile.objects.filter(user=user).first()
        claims: dict[str, Any] = {
            "trust_level": user.trust_level,
            "acr": f"urn:verbund:trust-level:{user.trust_level}",
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

    def get_discovery_claims(self, request: Any) -> list[str]:
        return [
            "sub",
            "trust_level",
            "acr",
            "email",
            "email_verified",
            "given_name",
            "family_name",
            "name",
            "birthdate",
            "address",
        ]
