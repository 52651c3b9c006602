"""Signing in and out: password, password reset, BundID over SAML, other providers over OIDC."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from verbund.accounts import actions, forms, oidc_client, queries, saml
from verbund.accounts.federation import FederatedLogin, FederationError
from verbund.accounts.models import User
from verbund.accounts.rules import PASSWORD_TRUST_LEVEL, LoginMethod, SecondFactor
from verbund.accounts.session_state import (
    auth_state,
    mark_second_factor,
    start_session,
)
from verbund.accounts.views.common import (
    OIDC_PENDING_KEY,
    SAML_REQUESTS_KEY,
    _add_errors,
    _base_url,
    _client_ip,
    _next_url,
    _user,
)
from verbund.core.errors import DomainError

# Login, logout


@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    form = forms.LoginForm(request.POST or None)
    throttled_until = None
    unverified = False
    if request.method == "POST" and form.is_valid():
        login = form.cleaned_data["login"]
        ip = _client_ip(request)
        attempt = actions.reserve_login_attempt(username=login, ip_address=ip)
        if attempt is None:
            throttle = queries.login_throttle(username=login, ip_address=ip)
            throttled_until = timezone.localtime(throttle.retry_at) if throttle.retry_at else None
            form.add_error(
                None,
                _(
                    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie einige Minuten "
                    "oder setzen Sie Ihr Passwort zurück."
                ),
            )
        else:
            user = queries.find_user_by_login(login)
            if user is None:
                User().set_password(form.cleaned_data["password"])  # same time as a real check
            password_ok = user is not None and user.check_password(form.cleaned_data["password"])
            if user is None or not password_ok or not user.is_active:
                actions.record_failed_login(username=login, ip_address=ip)
                form.add_error(
                    None, _("E-Mail-Adresse bzw. Benutzername oder Passwort stimmen nicht.")
                )
            elif user.is_citizen_like and user.email_verified_at is None:
                actions.release_login_attempt(attempt)
                unverified = True
                form.add_error(
                    None,
                    _(
                        "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse über den Link in der "
                        "Mail, die wir Ihnen geschickt haben."
                    ),
                )
            else:
                start_session(
                    request,
                    user=user,
                    method=LoginMethod.PASSWORD,
                    trust_level=PASSWORD_TRUST_LEVEL,
                )
                actions.record_login(
                    user=user,
                    method=LoginMethod.PASSWORD,
                    trust_level=PASSWORD_TRUST_LEVEL,
                    ip_address=ip,
                )
                target = _next_url(request)
                if queries.second_factor_required(user):
                    return redirect(
                        f"{reverse('accounts:second_factor')}?{urlencode({'next': target})}"
                    )
                return redirect(target)
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "throttled_until": throttled_until,
            "unverified": unverified,
            "saml_enabled": saml.is_configured(),
            "oidc_providers": oidc_client.providers().values(),
        },
    )


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Replaces Django admin's login form: admin users log in like everybody else."""
    target = _next_url(request, default="admin:index")
    if request.user.is_authenticated:
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        return redirect(target)
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("Sie sind abgemeldet."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


# Password reset


@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    form = forms.EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.request_password_reset(
            email=form.cleaned_data["email"],
            base_url=_base_url(request),
            ip_address=_client_ip(request),
        )
        return render(request, "accounts/password_reset_sent.html")
    return render(
        request,
        "accounts/simple_form.html",
        {
            "form": form,
            "title": _("Passwort vergessen"),
            "intro": _(
                "Geben Sie die E-Mail-Adresse Ihres Servicekontos an. Wir schicken Ihnen einen "
                "Link, mit dem Sie ein neues Passwort festlegen."
            ),
            "submit": _("Link anfordern"),
        },
    )


@never_cache
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = User.objects.filter(pk=int(force_str(urlsafe_base64_decode(uidb64)))).first()
    except (ValueError, TypeError):
        user = None
    form = forms.SetPasswordForm(request.POST or None)
    if user is None:
        return render(
            request,
            "accounts/verify_failed.html",
            {"message": _("Der Link zum Zurücksetzen ist ungültig oder abgelaufen.")},
            status=400,
        )
    if request.method == "POST" and form.is_valid():
        try:
            actions.reset_password(user=user, token=token, password=form.cleaned_data["password"])
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Ihr neues Passwort gilt. Bitte melden Sie sich an."))
            return redirect("accounts:login")
    return render(
        request,
        "accounts/simple_form.html",
        {"form": form, "title": _("Neues Passwort festlegen"), "submit": _("Passwort speichern")},
    )


# Federated login: BundID over SAML


def _finish_federated(request: HttpRequest, login: FederatedLogin, target: str) -> HttpResponse:
    current = _user(request) if request.user.is_authenticated else None
    try:
        user = actions.sign_in_federated(login=login, current_user=current)
    except FederationError as exc:
        return render(
            request,
            "accounts/federation_refused.html",
            {"message": exc.message, "code": exc.code},
            status=403,
        )
    if current is not None:
        messages.success(request, _("Die Anmeldung ist mit Ihrem Servicekonto verknüpft."))
        previous = auth_state(request)
        if previous is None or login.trust_level.rank > previous.trust_level.rank:
            # A stronger login within the session raises the session's own level (step-up,
            # e.g. for a service that asked for `acr_values`); a weaker one changes nothing.
            start_session(request, user=user, method=login.provider, trust_level=login.trust_level)
            if previous is not None and previous.second_factor:
                mark_second_factor(request, SecondFactor(previous.second_factor))
            actions.record_login(
                user=user,
                method=login.provider,
                trust_level=login.trust_level,
                ip_address=_client_ip(request),
            )
        return redirect(target)
    start_session(request, user=user, method=login.provider, trust_level=login.trust_level)
    actions.record_login(
        user=user,
        method=login.provider,
        trust_level=login.trust_level,
        ip_address=_client_ip(request),
    )
    if queries.second_factor_required(user):
        return redirect(f"{reverse('accounts:second_factor')}?{urlencode({'next': target})}")
    return redirect(target)


def _saml_sp(request: HttpRequest) -> saml.SpSettings:
    if not saml.is_configured():
        raise Http404
    return saml.sp_settings(
        base_url=_base_url(request),
        acs_path=reverse("accounts:saml_acs"),
        metadata_path=reverse("accounts:saml_metadata"),
    )


def saml_login(request: HttpRequest) -> HttpResponse:
    sp = _saml_sp(request)
    target = _next_url(request)
    request_id, location = saml.authn_request(sp, relay_state=target)
    pending = dict(request.session.get(SAML_REQUESTS_KEY) or {})
    pending[request_id] = target
    # Keep the last few requests only (a person may have several tabs open).
    request.session[SAML_REQUESTS_KEY] = dict(list(pending.items())[-5:])
    return redirect(location)


@csrf_exempt  # the IdP posts cross-site; the signed Response answers our own request id
@require_POST
def saml_acs(request: HttpRequest) -> HttpResponse:
    sp = _saml_sp(request)
    outstanding = dict(request.session.get(SAML_REQUESTS_KEY) or {})
    try:
        login = saml.parse_response(
            sp, saml_response=request.POST.get("SAMLResponse", ""), outstanding=outstanding
        )
    except FederationError as exc:
        return render(
            request,
            "accounts/federation_refused.html",
            {"message": exc.message, "code": exc.code},
            status=403,
        )
    relay = request.POST.get("RelayState", "")
    target = (
        relay
        if relay and url_has_allowed_host_and_scheme(relay, allowed_hosts={request.get_host()})
        else reverse("accounts:account")
    )
    request.session[SAML_REQUESTS_KEY] = {}
    return _finish_federated(request, login, target)


def saml_metadata(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        saml.sp_metadata(_saml_sp(request)), content_type="application/samlmetadata+xml"
    )


# Federated login: other providers over OpenID Connect


def _oidc_provider(name: str) -> oidc_client.OidcProvider:
    provider = oidc_client.providers().get(name)
    if provider is None:
        raise Http404
    return provider


def oidc_login(request: HttpRequest, name: str) -> HttpResponse:
    provider = _oidc_provider(name)
    redirect_uri = request.build_absolute_uri(reverse("accounts:oidc_callback", args=[name]))
    url, pending = oidc_client.authorization_url(provider, redirect_uri=redirect_uri)
    request.session[OIDC_PENDING_KEY] = {
        **pending.as_dict(),
        "next": _next_url(request),
        "provider": name,
    }
    return redirect(url)


def oidc_callback(request: HttpRequest, name: str) -> HttpResponse:
    provider = _oidc_provider(name)
    pending = request.session.pop(OIDC_PENDING_KEY, None) or {}
    if pending.get("provider") != name:
        pending = {}
    redirect_uri = request.build_absolute_uri(reverse("accounts:oidc_callback", args=[name]))
    try:
        login = oidc_client.complete_login(
            provider, redirect_uri=redirect_uri, pending=pending, params=request.GET.dict()
        )
    except FederationError as exc:
        return render(
            request,
            "accounts/federation_refused.html",
            {"message": exc.message, "code": exc.code},
            status=403,
        )
    return _finish_federated(request, login, pending.get("next") or reverse("accounts:account"))


@login_required
@require_POST
def identity_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.unlink_identity(user=_user(request), identity_id=pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Die Verknüpfung ist aufgehoben."))
    return redirect("accounts:account")
