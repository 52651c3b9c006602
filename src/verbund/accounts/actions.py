"""Every change to an account: one atomic function each, audited in the same transaction."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from oauth2_provider.models import get_application_model

from verbund.accounts import passkeys as webauthn
from verbund.accounts import queries, totp
from verbund.accounts.account_data import SECTIONS
from verbund.accounts.federation import FederatedLogin, FederationError
from verbund.accounts.mail import queue_mail
from verbund.accounts.models import (
    FederatedIdentity,
    LoginAttempt,
    Organisation,
    OrganisationMember,
    Passkey,
    PrefillConsent,
    Profile,
    ThrottleKey,
    TotpDevice,
    User,
)
from verbund.accounts.rules import TrustLevel
from verbund.core.audit import Actor, record_audit, snapshot
from verbund.core.errors import Conflict, InvalidInput, NotFound
from verbund.core.models import AuditEntry

VERIFY_EMAIL_SALT = "verbund.accounts.verify-email"
STAFF_INVITATION_SALT = "verbund.accounts.staff-invitation"
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


# Passwords


@transaction.atomic
def request_password_reset(*, email: str, base_url: str, ip_address: str | None = None) -> None:
    """Mail a reset link if an active account has this address; say nothing otherwise.
    Each address and each client gets only a few mails per window, whether the account
    exists or not (the answer must not tell)."""
    email = queries.normalise_email(email)
    lock_throttle_keys(f"reset:{email}", f"reset-ip:{ip_address or ''}")
    if queries.reset_mails_exhausted(email=email, ip_address=ip_address):
        record_audit(
            action="account.password_reset_throttled",
            actor=None,
            object_type="accounts.user",
            ip_address=ip_address,
        )
        return
    LoginAttempt.objects.filter(
        stage=queries.RESET_MAIL_STAGE,
        at__lt=timezone.now()
        - datetime.timedelta(seconds=settings.VERBUND_PASSWORD_RESET_MAIL_WINDOW),
    ).delete()
    LoginAttempt.objects.create(
        username=email[:254], ip_address=ip_address, stage=queries.RESET_MAIL_STAGE
    )
    user = queries.find_user_by_email(email)
    if user is None or not user.is_active:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = base_url.rstrip("/") + reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)},
    )
    queue_mail(
        to=user.email,
        template="password_reset",
        context={"link": link, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
    )
    record_audit(action="account.password_reset_requested", actor=user, obj=user)


@transaction.atomic
def reset_password(*, user: User, token: str, password: str) -> User:
    """Set a new password from a reset link. Following the link proves the mailbox, so an
    unverified address counts as verified afterwards; old sessions end (hash changes).
    Only password failures are forgiven: whoever reads the mailbox gets no new guesses at
    the second factor."""
    if not default_token_generator.check_token(user, token):
        raise InvalidInput(
            "Der Link zum Zurücksetzen ist ungültig oder abgelaufen.", code="reset_invalid"
        )
    _check_password(password, user)
    user.set_password(password)
    fields = ["password"]
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        fields.append("email_verified_at")
    user.save(update_fields=fields)
    _forgive_password_failures(user)
    record_audit(action="account.password_reset", actor=user, obj=user)
    return user


# Login and throttling


def lock_throttle_keys(*keys: str) -> None:
    """Serialise attempts on these keys until the transaction ends (see `ThrottleKey`)."""
    for key in sorted(set(keys)):  # one order everywhere: no deadlocks
        ThrottleKey.objects.get_or_create(key=key[:300])
        ThrottleKey.objects.filter(key=key[:300]).update(touched_at=timezone.now())


def reserve_login_attempt(
    *, username: str, ip_address: str | None, stage: str = "password"
) -> LoginAttempt | None:
    """Count an attempt before its credential is checked, atomically with the check of
    the limit: None when the limit is reached. The reservation stays as a failure unless
    `release_login_attempt` takes it back after success, so parallel attempts can never
    exceed the limit."""
    name = queries.normalise_email(username)[:254]
    with transaction.atomic():
        lock_throttle_keys(f"login:{name}", f"login-ip:{ip_address or ''}")
        if queries.login_throttle(username=name, ip_address=ip_address).blocked:
            return None
        expired = timezone.now() - datetime.timedelta(
            seconds=settings.VERBUND_LOGIN_THROTTLE_WINDOW
        )
        LoginAttempt.objects.filter(at__lt=expired).exclude(stage=queries.RESET_MAIL_STAGE).delete()
        # Keys of names nobody tried for a while go too (a row is re-created on demand).
        ThrottleKey.objects.filter(touched_at__lt=expired).exclude(
            key__in=[f"login:{name}", f"login-ip:{ip_address or ''}"]
        ).delete()
        return LoginAttempt.objects.create(username=name, ip_address=ip_address, stage=stage)


def release_login_attempt(attempt: LoginAttempt) -> None:
    LoginAttempt.objects.filter(pk=attempt.pk).delete()


@transaction.atomic
def record_failed_login(*, username: str, ip_address: str | None, stage: str = "password") -> None:
    """Audit a failed attempt (counted already by `reserve_login_attempt`)."""
    record_audit(
        action="account.login_failed",
        actor=None,
        object_type="accounts.user",
        login=username[:254],
        stage=stage,
        ip_address=ip_address,
    )


def _forgive_password_failures(user: User) -> None:
    names = {queries.normalise_email(user.username), queries.normalise_email(user.email)}
    LoginAttempt.objects.filter(username__in=names - {""}, stage="password").delete()


@transaction.atomic
def record_login(
    *, user: User, method: str, trust_level: TrustLevel, ip_address: str | None
) -> None:
    """A first factor passed: its failures are forgiven, second-factor failures stay until
    the second factor passes (`record_second_factor`)."""
    _forgive_password_failures(user)
    record_audit(
        action="account.logged_in",
        actor=user,
        obj=user,
        method=method,
        trust_level=str(trust_level),
        ip_address=ip_address,
    )


@transaction.atomic
def record_second_factor(*, user: User) -> None:
    names = {queries.normalise_email(user.username), queries.normalise_email(user.email)}
    LoginAttempt.objects.filter(username__in=names - {""}).exclude(
        stage=queries.RESET_MAIL_STAGE
    ).delete()


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


# Federated login (BundID over SAML, other providers over OIDC)


@transaction.atomic
def sign_in_federated(*, login: FederatedLogin, current_user: User | None) -> User:
    """The account for an external login: the one already linked to this identity, else
    the logged-in account (which gets linked), else a new account. An unlinked identity
    whose e-mail address belongs to an existing account is refused: linking happens only
    from inside that account, so nobody takes over an account by asserting its address."""
    identity = (
        FederatedIdentity.objects.select_for_update()
        .select_related("user")
        .filter(provider=login.provider, subject=login.subject)
        .first()
    )
    now = timezone.now()
    if identity is not None:
        if current_user is not None and identity.user_id != current_user.pk:
            raise FederationError(
                "Diese Identität ist bereits mit einem anderen Konto verknüpft.",
                code="identity_linked_elsewhere",
            )
        user = identity.user
        created = False
    elif current_user is not None:
        user = current_user
        identity = FederatedIdentity(user=user, provider=login.provider, subject=login.subject)
        created = False
    else:
        email = queries.normalise_email(login.email)
        if email and queries.find_user_by_email(email) is not None:
            raise FederationError(
                "Zu dieser E-Mail-Adresse gibt es schon ein Servicekonto. Melden Sie sich dort "
                "an und verknüpfen Sie die Anmeldung auf Ihrer Kontoseite.",
                code="email_has_account",
            )
        user = User(
            username=f"{login.provider.replace(':', '-')}-{secrets.token_hex(8)}",
            email=email,
            email_verified_at=now if email else None,
            kind=User.Kind.CITIZEN,
        )
        user.set_unusable_password()
        user.save()
        identity = FederatedIdentity(user=user, provider=login.provider, subject=login.subject)
        created = True
        record_audit(action="account.registered", actor=user, obj=user, provider=login.provider)
    if not user.is_active:
        raise FederationError("Dieses Konto ist gesperrt.", code="account_inactive")
    linked = identity.pk is None
    identity.trust_level = login.trust_level
    identity.postkorb_handle = login.postkorb_handle or identity.postkorb_handle
    identity.last_login_at = now
    identity.save()
    if TrustLevel(user.trust_level).rank < login.trust_level.rank:
        user.trust_level = login.trust_level
        user.save(update_fields=["trust_level"])
    _take_identity_data(user=user, login=login, overwrite=created or login.provider == "bundid")
    if linked:
        record_audit(
            action="account.identity_linked",
            actor=user,
            obj=user,
            provider=login.provider,
            trust_level=str(login.trust_level),
        )
    return user


def _take_identity_data(*, user: User, login: FederatedLogin, overwrite: bool) -> None:
    """Profile data from the identity provider: BundID's data comes from the identity
    document or tax office, so it replaces what was typed in; others only fill gaps."""
    profile = queries.profile_of(user)
    changed = []
    for name in PROFILE_FIELDS:
        value = getattr(login, name)
        if value and (overwrite or not getattr(profile, name)) and getattr(profile, name) != value:
            setattr(profile, name, value)
            changed.append(name)
    if changed:
        profile.source = login.method
        profile.save()


@transaction.atomic
def unlink_identity(*, user: User, identity_id: int) -> None:
    identity = FederatedIdentity.objects.filter(user=user, pk=identity_id).first()
    if identity is None:
        raise NotFound("Diese Verknüpfung gibt es nicht.", code="unknown_identity")
    others = queries.identities_of(user).exclude(pk=identity.pk).exists()
    if not user.has_usable_password() and not others:
        raise Conflict(
            "Dies ist Ihre einzige Anmeldemöglichkeit. Setzen Sie zuerst ein Passwort "
            "(Passwort vergessen) oder verknüpfen Sie eine weitere Anmeldung.",
            code="last_login_method",
        )
    provider = identity.provider
    identity.delete()
    record_audit(action="account.identity_unlinked", actor=user, obj=user, provider=provider)


# Organisations


@transaction.atomic
def add_organisation_member(
    *, organisation: Organisation, actor: User, email: str, base_url: str
) -> OrganisationMember:
    """Give another person a login for the organisation: a new account is invited to set
    its password through the reset link; an existing organisation login is added."""
    email = queries.normalise_email(email)
    user = queries.find_user_by_email(email)
    if user is not None and user.kind != User.Kind.ORGANISATION:
        raise Conflict(
            "Diese E-Mail-Adresse gehört zu einem persönlichen Konto. Bitte nutzen Sie für "
            "die Organisation eine eigene Anmeldung.",
            code="personal_account",
            field="email",
        )
    if user is None:
        user = User(username=email, email=email, kind=User.Kind.ORGANISATION)
        user.set_unusable_password()
        user.save()
        Profile.objects.create(user=user)
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        link = base_url.rstrip("/") + reverse(
            "accounts:password_reset_confirm",
            kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)},
        )
        queue_mail(
            to=email,
            template="organisation_invitation",
            context={"organisation": organisation.name, "link": link},
        )
    member, created = OrganisationMember.objects.get_or_create(organisation=organisation, user=user)
    if not created:
        raise Conflict("Diese Person handelt bereits für die Organisation.", code="member_exists")
    record_audit(
        action="organisation.member_added", actor=actor, obj=organisation, member=user.username
    )
    return member


@transaction.atomic
def remove_organisation_member(*, organisation: Organisation, actor: User, member_id: int) -> None:
    member = OrganisationMember.objects.filter(organisation=organisation, pk=member_id).first()
    if member is None:
        raise NotFound("Diese Person gibt es hier nicht.", code="unknown_member")
    admins = organisation.memberships.filter(role=OrganisationMember.Role.ADMIN)
    if member.role == OrganisationMember.Role.ADMIN and admins.count() == 1:
        raise Conflict(
            "Die Organisation braucht mindestens eine Person, die das Konto verwaltet.",
            code="last_admin",
        )
    username = member.user.username
    member.delete()
    record_audit(
        action="organisation.member_removed", actor=actor, obj=organisation, member=username
    )


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


# Connected services (Verbund as OpenID provider)


@transaction.atomic
def register_connected_service(
    *,
    name: str,
    client_id: str,
    redirect_uris: list[str],
    actor: Actor,
    confidential: bool = False,
    client_secret: str = "",
    post_logout_redirect_uris: list[str] | None = None,
) -> Any:
    """Register (or update) a municipal service that logs its users in with Verbund over
    OpenID Connect (authorization code with PKCE, RS256-signed ID tokens)."""
    application_model = get_application_model()
    application = application_model.objects.filter(client_id=client_id).first()
    if application is None:
        application = application_model(client_id=client_id)
    application.name = name
    application.redirect_uris = " ".join(redirect_uris)
    application.post_logout_redirect_uris = " ".join(post_logout_redirect_uris or [])
    application.client_type = (
        application_model.CLIENT_CONFIDENTIAL if confidential else application_model.CLIENT_PUBLIC
    )
    application.authorization_grant_type = application_model.GRANT_AUTHORIZATION_CODE
    application.algorithm = application_model.RS256_ALGORITHM
    application.skip_authorization = False
    if client_secret:
        application.client_secret = client_secret
    application.save()
    record_audit(
        action="accounts.connected_service_registered",
        actor=actor,
        obj=application,
        client_id=client_id,
        redirect_uris=redirect_uris,
    )
    return application


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
