"""What the account pages share: session keys, the actor, the client, the next URL, errors."""

from __future__ import annotations

from typing import Any

from django.http import (
    HttpRequest,
)
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from verbund.accounts.models import User
from verbund.core.errors import DomainError

REGISTER_CHALLENGE_KEY = "verbund.webauthn.register"

LOGIN_CHALLENGE_KEY = "verbund.webauthn.login"

SAML_REQUESTS_KEY = "verbund.saml.requests"

OIDC_PENDING_KEY = "verbund.oidc.pending"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _client_ip(request: HttpRequest) -> str | None:
    # Behind the reverse proxy REMOTE_ADDR is the proxy; the proxy must then set
    # REMOTE_ADDR correctly (e.g. gunicorn --forwarded-allow-ips), never trust a header.
    return request.META.get("REMOTE_ADDR") or None


def _next_url(request: HttpRequest, default: str = "accounts:account") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def _add_errors(form: Any, exc: DomainError) -> None:
    field = exc.extra.get("field")
    form.add_error(field if field in form.fields else None, exc.message)
