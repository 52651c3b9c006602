"""WebAuthn (passkeys, security keys) through the `webauthn` package: options for the
browser and verification of what the authenticator returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

RP_NAME = "Verbund"


class PasskeyError(ValueError):
    """The authenticator's answer does not verify."""


@dataclass(frozen=True)
class RelyingParty:
    rp_id: str
    origins: list[str]


def relying_party(request: HttpRequest) -> RelyingParty:
    """The WebAuthn relying party: from the settings, or this request's host and origin."""
    origin = f"{request.scheme}://{request.get_host()}"
    rp_id = settings.VERBUND_WEBAUTHN_RP_ID or request.get_host().rsplit(":", 1)[0]
    if rp_id.startswith("["):
        rp_id = rp_id.strip("[]")
    return RelyingParty(rp_id=rp_id, origins=list(settings.VERBUND_WEBAUTHN_ORIGINS) or [origin])


def registration_options(
    *, rp: RelyingParty, user_handle: bytes, user_name: str, display_name: str, exclude: list[str]
) -> tuple[str, bytes]:
    """Options JSON for `navigator.credentials.create()` and the challenge to keep."""
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=RP_NAME,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=display_name,
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(cid)) for cid in exclude
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return options_to_json(options), options.challenge


@dataclass(frozen=True)
class NewCredential:
    credential_id: str
    public_key: bytes
    sign_count: int


def verify_registration(
    *, rp: RelyingParty, credential: dict[str, Any] | str, challenge: bytes
) -> NewCredential:
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origins,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyError(str(exc)) from exc
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )


def authentication_options(*, rp: RelyingParty, allow: list[str]) -> tuple[str, bytes]:
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in allow],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), options.challenge


def verify_authentication(
    *,
    rp: RelyingParty,
    credential: dict[str, Any] | str,
    challenge: bytes,
    public_key: bytes,
    sign_count: int,
) -> int:
    """Check the assertion; returns the authenticator's new signature counter."""
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origins,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyError(str(exc)) from exc
    return verified.new_sign_count
