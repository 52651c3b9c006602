"""Organisations' members and the services connected over OpenID Connect."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from oauth2_provider.models import get_application_model

from verbund.accounts import queries
from verbund.accounts.mail import queue_mail
from verbund.accounts.models import (
    Organisation,
    OrganisationMember,
    Profile,
    User,
)
from verbund.core.audit import Actor, record_audit
from verbund.core.errors import Conflict, NotFound

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
