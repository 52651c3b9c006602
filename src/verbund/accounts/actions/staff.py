"""Administrative accounts and staff invitations (admin, CLI, demo, authorities)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from verbund.accounts import queries
from verbund.accounts.actions.registration import _check_password
from verbund.accounts.mail import queue_mail
from verbund.accounts.models import (
    TotpDevice,
    User,
)
from verbund.core.audit import Actor, record_audit
from verbund.core.errors import Conflict, InvalidInput

STAFF_INVITATION_SALT = "verbund.accounts.staff-invitation"


# Administrative accounts (admin, CLI, demo)


@transaction.atomic
def upsert_account(
    *,
    username: str,
    email: str,
    kind: str,
    actor: Actor,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    profile: dict[str, Any] | None = None,
    totp_secret: str | None = None,
    is_staff: bool = False,
) -> User:
    """Create or update an account that an operator sets up (staff, operators, demo
    data): verified e-mail, optional password, profile and a confirmed TOTP device."""
    user = User.objects.select_for_update().filter(username=username).first()
    created = user is None
    if user is None:
        user = User(username=username)
    user.email = queries.normalise_email(email)
    user.kind = kind
    user.first_name = first_name
    user.last_name = last_name
    user.is_staff = is_staff
    user.email_verified_at = user.email_verified_at or timezone.now()
    if password is not None and not user.check_password(password):
        user.set_password(password)
    elif created and password is None:
        user.set_unusable_password()
    user.save()
    if profile is not None:
        current = queries.profile_of(user)
        for name, value in profile.items():
            setattr(current, name, value)
        current.save()
    if totp_secret is not None:
        TotpDevice.objects.update_or_create(
            user=user,
            defaults={"secret": totp_secret, "confirmed_at": timezone.now()},
        )
    record_audit(
        action="account.created" if created else "account.updated",
        actor=actor,
        obj=user,
        kind=kind,
    )
    return user


# Staff invitations: an authority's administrator creates the account, the invitee sets the
# password through a one-time link and enrols the second factor (decision 0030).


def _password_fingerprint(user: User) -> str:
    # The link carries a fingerprint of the (unusable) password hash: setting a password
    # or issuing a new invitation changes the hash, so each link works once.
    return salted_hmac(STAFF_INVITATION_SALT, user.password).hexdigest()[:24]


def staff_invitation_token(user: User, *, landing: str) -> str:
    return signing.dumps(
        {"u": user.pk, "p": _password_fingerprint(user), "n": landing}, salt=STAFF_INVITATION_SALT
    )


@transaction.atomic
def invite_staff_account(
    *,
    email: str,
    given_name: str,
    family_name: str,
    inviter: str,
    landing: str,
    base_url: str,
    actor: Actor,
) -> User:
    """Create a staff account without a usable password and queue the invitation mail
    whose link (valid `VERBUND_STAFF_INVITATION_MAX_AGE`) lets the invitee set a password;
    the second factor follows at the first login. An address that has an account already
    is refused: that account is added by name instead."""
    email = queries.normalise_email(email)
    if "@" not in email or len(email) > 254 or not given_name.strip() or not family_name.strip():
        raise InvalidInput(
            "Bitte Vorname, Nachname und eine gültige E-Mail-Adresse angeben.",
            code="invitation_incomplete",
        )
    if queries.find_user_by_login(email) is not None:
        raise Conflict(
            "Für diese E-Mail-Adresse gibt es schon ein Konto. Ein Konto für Beschäftigte "
            "fügen Sie über seinen Benutzernamen hinzu.",
            code="account_exists",
            field="email",
        )
    user = User(
        username=email,
        email=email,
        kind=User.Kind.STAFF,
        first_name=given_name.strip()[:150],
        last_name=family_name.strip()[:150],
    )
    user.set_unusable_password()
    user.save()
    link = base_url.rstrip("/") + reverse(
        "accounts:staff_invitation",
        kwargs={"token": staff_invitation_token(user, landing=landing)},
    )
    queue_mail(
        to=email,
        template="staff_invitation",
        context={
            "name": f"{user.first_name} {user.last_name}",
            "inviter": inviter,
            "link": link,
            "days": settings.VERBUND_STAFF_INVITATION_MAX_AGE // (24 * 3600),
        },
    )
    record_audit(action="account.staff_invited", actor=actor, obj=user, kind=user.kind)
    return user


def read_staff_invitation(token: str) -> tuple[User, str]:
    """The invited account and where it lands after enrolment; InvalidInput when the link
    is expired, forged, already used or the account was deactivated meanwhile."""
    try:
        data = signing.loads(
            token, salt=STAFF_INVITATION_SALT, max_age=settings.VERBUND_STAFF_INVITATION_MAX_AGE
        )
    except signing.SignatureExpired:
        raise InvalidInput(
            "Die Einladung ist abgelaufen. Bitten Sie die Administration Ihrer Behörde um "
            "eine neue.",
            code="invitation_expired",
        ) from None
    except signing.BadSignature:
        raise InvalidInput("Die Einladung ist ungültig.", code="invitation_invalid") from None
    user = User.objects.filter(pk=data.get("u"), kind=User.Kind.STAFF, is_active=True).first()
    if user is None or data.get("p") != _password_fingerprint(user):
        raise InvalidInput(
            "Die Einladung ist ungültig oder wurde schon verwendet.", code="invitation_used"
        )
    return user, str(data.get("n") or "/")


@transaction.atomic
def accept_staff_invitation(*, token: str, password: str) -> tuple[User, str]:
    """Set the invitee's first password (the link proves the mailbox) and spend the link."""
    user, landing = read_staff_invitation(token)
    user = User.objects.select_for_update().get(pk=user.pk)
    read_staff_invitation(token)  # again under the lock: two submissions use it once
    _check_password(password, user)
    user.set_password(password)
    user.email_verified_at = user.email_verified_at or timezone.now()
    user.save(update_fields=["password", "email_verified_at"])
    record_audit(action="account.staff_invitation_accepted", actor=user, obj=user)
    return user, landing


@transaction.atomic
def deactivate_account(*, user: User, actor: Actor) -> User:
    """Stop the account from logging in (its sessions end at their next request: an
    inactive account no longer authenticates); nothing is deleted."""
    if user.is_active:
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        record_audit(action="account.deactivated", actor=actor, obj=user, kind=user.kind)
    return user


@transaction.atomic
def reactivate_account(*, user: User, actor: Actor) -> User:
    """Let a deactivated account log in again (its password and factors are unchanged)."""
    if not user.is_active:
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        record_audit(action="account.reactivated", actor=actor, obj=user, kind=user.kind)
    return user
