"""Reads of the Servicekonto, including the login throttle and the data export."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from verbund.accounts.account_data import SECTIONS
from verbund.accounts.models import (
    FederatedIdentity,
    LoginAttempt,
    Organisation,
    OrganisationMember,
    Passkey,
    PrefillConsent,
    Profile,
    TotpDevice,
    User,
)
from verbund.accounts.rules import needs_second_factor
from verbund.core.errors import NotFound
from verbund.core.models import AuditEntry

# Profile values a form may ask to prefill (the names applications use in `fields`).
PREFILL_FIELDS: dict[str, str] = {
    "given_name": "Vorname",
    "family_name": "Familienname",
    "birth_date": "Geburtsdatum",
    "street": "Straße und Hausnummer",
    "postal_code": "Postleitzahl",
    "city": "Ort",
    "email": "E-Mail-Adresse",
}


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=normalise_email(email)).order_by("pk").first()


def find_user_by_login(login: str) -> User | None:
    """The account for a login name: the e-mail address, or the user name of staff."""
    login = login.strip()
    return (
        User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login))
        .order_by("pk")
        .first()
    )


def profile_of(user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def totp_device_of(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user).first()


def has_confirmed_totp(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def passkeys_of(user: User) -> QuerySet[Passkey]:
    return Passkey.objects.filter(user=user)


def get_passkey_for_user_or_404(user: User, pk: int) -> Passkey:
    passkey = Passkey.objects.filter(user=user, pk=pk).first()
    if passkey is None:
        raise NotFound("Diesen Passkey gibt es nicht.", code="unknown_passkey")
    return passkey


def has_second_factor_device(user: User) -> bool:
    return has_confirmed_totp(user) or passkeys_of(user).exists()


def second_factor_required(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether this account must present a second factor before it may do anything."""
    if not isinstance(user, User):
        return False
    return needs_second_factor(
        kind=user.kind,
        is_staff=user.is_staff,
        is_superuser=user.is_superuser,
        has_device=has_second_factor_device(user),
    )


def identities_of(user: User) -> QuerySet[FederatedIdentity]:
    return FederatedIdentity.objects.filter(user=user).order_by("provider")


def organisations_of(user: User) -> QuerySet[OrganisationMember]:
    return OrganisationMember.objects.filter(user=user).select_related("organisation")


def get_organisation_for_admin_or_404(user: User, pk: int) -> Organisation:
    """The organisation if the user administers it; otherwise NotFound."""
    membership = (
        organisations_of(user)
        .filter(organisation_id=pk, role=OrganisationMember.Role.ADMIN)
        .first()
    )
    if membership is None:
        raise NotFound("Nicht gefunden.", code="not_found")
    return membership.organisation


# Login throttling: failures are rows in the database, so the limit holds across every
# app server behind the proxy.


@dataclass(frozen=True)
class Throttle:
    blocked: bool
    retry_at: datetime.datetime | None = None


# Stages that count against a login name and a client address. Reset mails have their
# own limit, so that requesting mails cannot lock anybody out.
# "key": wrong key passphrases on the back office's unlock page (authorities, decision 0027).
LOGIN_STAGES = ("password", "totp", "passkey", "key")
RESET_MAIL_STAGE = "reset_mail"


def login_throttle(*, username: str, ip_address: str | None) -> Throttle:
    """Whether another attempt for this login name or from this address is refused now."""
    now = timezone.now()
    since = now - datetime.timedelta(seconds=settings.VERBUND_LOGIN_THROTTLE_WINDOW)
    window = LoginAttempt.objects.filter(at__gte=since, stage__in=LOGIN_STAGES)
    checks = [
        (
            window.filter(username=normalise_email(username)),
            settings.VERBUND_LOGIN_THROTTLE_FAILURES,
        )
    ]
    if ip_address:
        checks.append(
            (window.filter(ip_address=ip_address), settings.VERBUND_LOGIN_THROTTLE_IP_FAILURES)
        )
    for attempts, limit in checks:
        times = list(attempts.order_by("-at").values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            oldest_counted = times[-1]
            return Throttle(
                blocked=True,
                retry_at=oldest_counted
                + datetime.timedelta(seconds=settings.VERBUND_LOGIN_THROTTLE_WINDOW),
            )
    return Throttle(blocked=False)


def reset_mails_exhausted(*, email: str, ip_address: str | None) -> bool:
    """Whether this address (or this client) has had all the reset mails it gets now."""
    since = timezone.now() - datetime.timedelta(seconds=settings.VERBUND_PASSWORD_RESET_MAIL_WINDOW)
    sent = LoginAttempt.objects.filter(at__gte=since, stage=RESET_MAIL_STAGE)
    if sent.filter(username=normalise_email(email)).count() >= (
        settings.VERBUND_PASSWORD_RESET_MAILS
    ):
        return True
    return bool(ip_address) and sent.filter(ip_address=ip_address).count() >= (
        settings.VERBUND_PASSWORD_RESET_MAIL_IP_LIMIT
    )


def usable_prefill_consent(*, user: User, token: str) -> PrefillConsent | None:
    return PrefillConsent.objects.filter(
        user=user, token=token, used_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


def export_account_data(user: User) -> dict[str, Any]:
    """Everything Verbund keeps about the account, for the holder's JSON download
    (Art. 15 and 20 GDPR). Secrets (password hash, TOTP secret, key material) are named
    but not exported. Dates stay objects: serialise with DjangoJSONEncoder."""
    profile = Profile.objects.filter(user=user).first()
    data: dict[str, Any] = {
        "format": "verbund-account-export/1",
        "exported_at": timezone.now(),
        "account": {
            "username": user.username,
            "email": user.email,
            "email_verified_at": user.email_verified_at,
            "kind": user.kind,
            "trust_level": user.trust_level,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "has_password": user.has_usable_password(),
        },
        "profile": None,
        "organisations": [
            {
                "name": m.organisation.name,
                "legal_form": m.organisation.legal_form,
                "street": m.organisation.street,
                "postal_code": m.organisation.postal_code,
                "city": m.organisation.city,
                "register_number": m.organisation.register_number,
                "role": m.role,
            }
            for m in organisations_of(user)
        ],
        "second_factors": {
            "totp": {"confirmed_at": d.confirmed_at} if (d := totp_device_of(user)) else None,
            "passkeys": [
                {"name": p.name, "created_at": p.created_at, "last_used_at": p.last_used_at}
                for p in passkeys_of(user)
            ],
        },
        "linked_identities": [
            {
                "provider": i.provider,
                "subject": i.subject,
                "trust_level": i.trust_level,
                "postkorb_handle": i.postkorb_handle,
                "last_login_at": i.last_login_at,
            }
            for i in identities_of(user)
        ],
        "prefill_consents": [
            {
                "purpose": c.purpose,
                "fields": c.fields,
                "granted_at": c.created_at,
                "used_at": c.used_at,
            }
            for c in PrefillConsent.objects.filter(user=user)
        ],
        "audit_log": [
            {"at": e.at, "action": e.action, "details": e.details}
            for e in AuditEntry.objects.filter(
                Q(actor_id=user.pk) | Q(object_type="accounts.user", object_id=str(user.pk))
            ).order_by("at", "id")
        ],
    }
    if profile is not None:
        data["profile"] = {
            "given_name": profile.given_name,
            "family_name": profile.family_name,
            "birth_date": profile.birth_date,
            "street": profile.street,
            "postal_code": profile.postal_code,
            "city": profile.city,
            "source": profile.source,
        }
    for name, section in sorted(SECTIONS.items()):
        data[name] = section.export(user)
    return data
