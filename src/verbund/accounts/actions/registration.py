"""Registration, the verified e-mail, the profile, prefill consent, deletion."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from verbund.accounts import queries
from verbund.accounts.account_data import SECTIONS
from verbund.accounts.mail import queue_mail
from verbund.accounts.models import (
    Organisation,
    OrganisationMember,
    PrefillConsent,
    Profile,
    User,
)
from verbund.accounts.rules import TrustLevel
from verbund.core.audit import Actor, record_audit, snapshot
from verbund.core.errors import InvalidInput
from verbund.core.models import AuditEntry

VERIFY_EMAIL_SALT = "verbund.accounts.verify-email"

PREFILL_CONSENT_SECONDS = 30 * 60

PROFILE_FIELDS = ("given_name", "family_name", "birth_date", "street", "postal_code", "city")


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), code="weak_password", field="password") from None


# Registration and e-mail verification


@transaction.atomic
def register_account(
    *,
    email: str,
    password: str,
    base_url: str,
    given_name: str = "",
    family_name: str = "",
    organisation: dict[str, str] | None = None,
) -> User | None:
    """Create a citizen account (or an organisation with its first person login) and send
    the verification mail. An address that already has an account gets a notice instead
    and the caller learns nothing (no account enumeration): the result is then None."""
    email = queries.normalise_email(email)
    kind = User.Kind.ORGANISATION if organisation else User.Kind.CITIZEN
    user = User(username=email, email=email, kind=kind)
    # Checked before looking the address up, so the answer cannot tell whether it exists.
    _check_password(password, user)
    existing = queries.find_user_by_email(email)
    if existing is not None:
        queue_mail(
            to=email,
            template="already_registered",
            context={"login_url": base_url.rstrip("/") + reverse("accounts:login")},
        )
        return None
    user.set_password(password)
    user.save()
    Profile.objects.create(user=user, given_name=given_name, family_name=family_name)
    record_audit(action="account.registered", actor=user, obj=user, kind=kind)
    if organisation:
        org = Organisation.objects.create(**organisation)
        OrganisationMember.objects.create(
            organisation=org, user=user, role=OrganisationMember.Role.ADMIN
        )
        record_audit(action="organisation.created", actor=user, obj=org, after=snapshot(org))
    send_verification_mail(user=user, base_url=base_url)
    return user


def verification_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_EMAIL_SALT)


def send_verification_mail(*, user: User, base_url: str) -> None:
    link = base_url.rstrip("/") + reverse(
        "accounts:verify_email", kwargs={"token": verification_token(user)}
    )
    queue_mail(
        to=user.email,
        template="verify_email",
        context={
            "link": link,
            "hours": settings.VERBUND_EMAIL_VERIFICATION_MAX_AGE // 3600,
        },
    )


@transaction.atomic
def verify_email(*, token: str) -> User:
    try:
        data = signing.loads(
            token, salt=VERIFY_EMAIL_SALT, max_age=settings.VERBUND_EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.SignatureExpired:
        raise InvalidInput(
            "Der Bestätigungslink ist abgelaufen. Fordern Sie einen neuen an.",
            code="verification_expired",
        ) from None
    except signing.BadSignature:
        raise InvalidInput(
            "Der Bestätigungslink ist ungültig.", code="verification_invalid"
        ) from None
    user = User.objects.select_for_update().filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        raise InvalidInput("Der Bestätigungslink ist ungültig.", code="verification_invalid")
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        record_audit(action="account.email_verified", actor=user, obj=user)
    return user


# Profile


@transaction.atomic
def update_profile(*, user: User, actor: Actor, **fields: Any) -> Profile:
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unbekannte Angaben: {', '.join(sorted(unknown))}.")
    birth_date = fields.get("birth_date")
    if isinstance(birth_date, datetime.date) and birth_date > timezone.localdate():
        raise InvalidInput(
            gettext("Das Geburtsdatum darf nicht in der Zukunft liegen."),
            code="birth_date_in_future",
            field="birth_date",
        )
    profile = queries.profile_of(user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.source = "self"
    profile.save()
    # Values are personal data: the audit log names the fields, never their contents.
    record_audit(action="account.profile_updated", actor=actor, obj=user, fields=sorted(fields))
    return profile


# Prefill consent (once-only): the holder releases named profile values for one use.


@transaction.atomic
def grant_prefill_consent(
    *,
    user: User,
    fields: list[str],
    purpose: str,
    trust_level: TrustLevel = TrustLevel.BASIC,
) -> PrefillConsent:
    """Record the holder's consent; `trust_level` is that of the session giving it."""
    unknown = set(fields) - set(queries.PREFILL_FIELDS)
    if unknown or not fields:
        raise InvalidInput(
            f"Diese Angaben können nicht vorausgefüllt werden: {', '.join(sorted(unknown))}.",
            code="unknown_prefill_field",
        )
    consent = PrefillConsent.objects.create(
        user=user,
        token=secrets.token_urlsafe(32),
        fields=sorted(set(fields)),
        purpose=purpose[:300],
        trust_level=trust_level,
        expires_at=timezone.now() + datetime.timedelta(seconds=PREFILL_CONSENT_SECONDS),
    )
    record_audit(
        action="account.prefill_consent_granted",
        actor=user,
        obj=user,
        fields=consent.fields,
        purpose=consent.purpose,
        trust_level=consent.trust_level,
    )
    return consent


class Prefill:
    """Values for a form from the holder's profile. `from_profile` names the fields whose
    value came from the profile, so the form can mark them ("aus Ihrem Servicekonto")."""

    def __init__(self, values: dict[str, Any], trust_level: TrustLevel = TrustLevel.BASIC) -> None:
        self.values = values
        self.from_profile = frozenset(values)
        self.trust_level = trust_level

    def __repr__(self) -> str:
        return f"Prefill(fields={sorted(self.from_profile)})"


@transaction.atomic
def prefill_for(*, user: User, fields: list[str], consent_token: str) -> Prefill:
    """Profile values for the requested fields, released by a consent the holder gave on
    the consent page for exactly this use. The consent is used up (once-only: the next
    form asks again); fields outside the consent or empty in the profile are left out."""
    consent = (
        PrefillConsent.objects.select_for_update()
        .filter(user=user, token=consent_token, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if consent is None:
        raise InvalidInput(
            "Für das Vorausfüllen liegt keine gültige Einwilligung vor.",
            code="prefill_consent_required",
        )
    consent.used_at = timezone.now()
    consent.save(update_fields=["used_at", "updated_at"])
    profile = queries.profile_of(user)
    source: dict[str, Any] = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    source["email"] = user.email
    released = [name for name in fields if name in consent.fields]
    values = {name: source[name] for name in released if source.get(name)}
    record_audit(
        action="account.prefill_used",
        actor=user,
        obj=user,
        fields=sorted(values),
        purpose=consent.purpose,
        trust_level=consent.trust_level,
    )
    return Prefill(values, TrustLevel(consent.trust_level))


# Deletion


@transaction.atomic
def delete_account(*, user: User, actor: Actor) -> None:
    """Delete the account and everything attached to it. Other domains erase or anonymise
    their part first (`account_data.register_account_data`); the audit row keeps only the
    account number, no personal data."""
    for section in SECTIONS.values():
        if section.erase is not None:
            section.erase(user)
    pk, kind = user.pk, user.kind
    labels = {user.get_username(), user.email} - {""}
    record_audit(
        action="account.deleted",
        actor=actor if actor is not user else "account-holder",
        object_type="accounts.user",
        object_id=str(pk),
        kind=kind,
    )
    orphaned = [
        m.organisation
        for m in queries.organisations_of(user)
        if m.organisation.memberships.count() == 1
    ]
    user.delete()
    # The audit trail stays, without the holder's e-mail address as label.
    anonymous = f"gelöschtes Konto {pk}"
    AuditEntry.objects.filter(actor_label__in=labels).update(actor_label=anonymous)
    AuditEntry.objects.filter(object_type="accounts.user", object_id=str(pk)).update(
        object_repr=anonymous
    )
    for organisation in orphaned:
        organisation.delete()
