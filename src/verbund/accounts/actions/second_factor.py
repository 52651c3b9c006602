"""The second factor: TOTP devices and passkeys (WebAuthn)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from verbund.accounts import passkeys as webauthn
from verbund.accounts import queries, totp
from verbund.accounts.models import (
    Passkey,
    TotpDevice,
    User,
)
from verbund.core.audit import record_audit
from verbund.core.errors import Conflict, InvalidInput, NotFound

# Second factor: TOTP


@transaction.atomic
def begin_totp_setup(*, user: User) -> TotpDevice:
    """A fresh secret for a device that is not confirmed yet (a confirmed one stays)."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.is_confirmed:
        raise Conflict("Ein TOTP-Authenticator ist bereits eingerichtet.", code="totp_exists")
    if device is None:
        device = TotpDevice(user=user)
    device.secret = totp.new_secret()
    device.last_used_step = 0
    device.save()
    return device


@transaction.atomic
def confirm_totp(*, user: User, code: str) -> TotpDevice:
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise NotFound("Es wird gerade kein Authenticator eingerichtet.", code="no_totp_setup")
    step = totp.matching_step(device.secret, code, after_step=device.last_used_step)
    if step is None:
        raise InvalidInput(
            "Der Code stimmt nicht. Prüfen Sie die Uhrzeit Ihres Geräts und geben Sie den "
            "aktuellen sechsstelligen Code ein.",
            code="totp_invalid",
            field="code",
        )
    device.last_used_step = step
    device.confirmed_at = timezone.now()
    device.save(update_fields=["last_used_step", "confirmed_at", "updated_at"])
    record_audit(action="account.totp_enabled", actor=user, obj=user)
    return device


@transaction.atomic
def verify_totp(*, user: User, code: str) -> bool:
    """Check a code for login; a used code never counts again."""
    device = (
        TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    )
    if device is None:
        return False
    step = totp.matching_step(device.secret, code, after_step=device.last_used_step)
    if step is None:
        return False
    device.last_used_step = step
    device.save(update_fields=["last_used_step", "updated_at"])
    return True


def _ensure_keeps_a_factor(user: User, *, removing: str) -> None:
    if not (user.kind in {User.Kind.STAFF, User.Kind.OPERATOR} or user.is_staff):
        return
    others = queries.passkeys_of(user).count() + int(queries.has_confirmed_totp(user))
    if others <= 1:
        raise Conflict(
            f"Dienstkonten brauchen immer einen zweiten Faktor: richten Sie zuerst einen "
            f"weiteren ein, bevor Sie {removing} entfernen.",
            code="last_second_factor",
        )


@transaction.atomic
def remove_totp(*, user: User) -> None:
    device = queries.totp_device_of(user)
    if device is None:
        return
    if device.is_confirmed:
        _ensure_keeps_a_factor(user, removing="den Authenticator")
    device.delete()
    record_audit(action="account.totp_removed", actor=user, obj=user)


# Second factor: passkeys (WebAuthn)


@transaction.atomic
def add_passkey(
    *,
    user: User,
    name: str,
    rp: webauthn.RelyingParty,
    credential: dict[str, Any] | str,
    challenge: bytes,
) -> Passkey:
    try:
        new = webauthn.verify_registration(rp=rp, credential=credential, challenge=challenge)
    except webauthn.PasskeyError:
        raise InvalidInput(
            "Der Passkey konnte nicht geprüft werden. Bitte versuchen Sie es erneut.",
            code="passkey_invalid",
        ) from None
    if Passkey.objects.filter(credential_id=new.credential_id).exists():
        raise Conflict("Dieser Passkey ist bereits registriert.", code="passkey_exists")
    passkey = Passkey.objects.create(
        user=user,
        name=(name.strip() or "Passkey")[:80],
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
    )
    record_audit(action="account.passkey_added", actor=user, obj=user, passkey=passkey.name)
    return passkey


@transaction.atomic
def use_passkey(
    *,
    user: User,
    rp: webauthn.RelyingParty,
    credential: dict[str, Any],
    challenge: bytes,
) -> Passkey | None:
    """Verify an assertion from one of the user's passkeys; None if it does not verify."""
    raw_id = str(credential.get("rawId") or credential.get("id") or "")
    passkey = Passkey.objects.select_for_update().filter(user=user, credential_id=raw_id).first()
    if passkey is None:
        return None
    try:
        sign_count = webauthn.verify_authentication(
            rp=rp,
            credential=credential,
            challenge=challenge,
            public_key=bytes(passkey.public_key),
            sign_count=passkey.sign_count,
        )
    except webauthn.PasskeyError:
        return None
    passkey.sign_count = sign_count
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at", "updated_at"])
    return passkey


@transaction.atomic
def remove_passkey(*, user: User, passkey: Passkey) -> None:
    _ensure_keeps_a_factor(user, removing="diesen Passkey")
    name = passkey.name
    passkey.delete()
    record_audit(action="account.passkey_removed", actor=user, obj=user, passkey=name)
