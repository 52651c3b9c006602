"""Signing in: passwords and their reset, the throttle, second factors, federated identities."""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from verbund.accounts import queries
from verbund.accounts.actions.registration import PROFILE_FIELDS, _check_password
from verbund.accounts.federation import FederatedLogin, FederationError
from verbund.accounts.mail import queue_mail
from verbund.accounts.models import (
    FederatedIdentity,
    LoginAttempt,
    ThrottleKey,
    User,
)
from verbund.accounts.rules import TrustLevel
from verbund.core.audit import record_audit
from verbund.core.errors import Conflict, InvalidInput, NotFound

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
