"""Registration with the verified e-mail, and accepting a staff invitation."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from verbund.accounts import actions, forms, queries
from verbund.accounts.rules import PASSWORD_TRUST_LEVEL, LoginMethod
from verbund.accounts.session_state import (
    start_session,
)
from verbund.accounts.views.common import _add_errors, _base_url, _client_ip
from verbund.core.errors import DomainError

# Registration and e-mail verification


@never_cache
def register(request: HttpRequest, *, organisation: bool = False) -> HttpResponse:
    form_class = forms.OrganisationRegistrationForm if organisation else forms.RegistrationForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org = None
        if organisation:
            org = {
                "name": data["organisation_name"],
                "legal_form": data["legal_form"],
                "register_number": data["register_number"],
                "street": data["street"],
                "postal_code": data["postal_code"],
                "city": data["city"],
            }
        try:
            actions.register_account(
                email=data["email"],
                password=data["password"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                organisation=org,
                base_url=_base_url(request),
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            return render(request, "accounts/registered.html", {"email": data["email"]})
    return render(request, "accounts/register.html", {"form": form, "organisation": organisation})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        actions.verify_email(token=token)
    except DomainError as exc:
        return render(request, "accounts/verify_failed.html", {"message": exc.message}, status=400)
    messages.success(
        request, _("Ihre E-Mail-Adresse ist bestätigt. Sie können sich jetzt anmelden.")
    )
    return redirect("accounts:login")


@never_cache
def resend_verification(request: HttpRequest) -> HttpResponse:
    form = forms.EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = queries.find_user_by_email(form.cleaned_data["email"])
        if user is not None and user.email_verified_at is None:
            with transaction.atomic():
                actions.send_verification_mail(user=user, base_url=_base_url(request))
        return render(request, "accounts/registered.html", {"email": form.cleaned_data["email"]})
    return render(
        request,
        "accounts/simple_form.html",
        {
            "form": form,
            "title": _("Bestätigungslink erneut senden"),
            "submit": _("Link senden"),
        },
    )


@never_cache
def staff_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invited staff member sets the first password, is logged in and enrols the
    second factor before anything else (the TOTP page, then the authority's pages)."""
    try:
        user, _landing = actions.read_staff_invitation(token)
    except DomainError as exc:
        return render(request, "accounts/verify_failed.html", {"message": exc.message}, status=400)
    form = forms.SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, landing = actions.accept_staff_invitation(
                token=token, password=form.cleaned_data["password"]
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            start_session(
                request, user=user, method=LoginMethod.PASSWORD, trust_level=PASSWORD_TRUST_LEVEL
            )
            actions.record_login(
                user=user,
                method=LoginMethod.PASSWORD,
                trust_level=PASSWORD_TRUST_LEVEL,
                ip_address=_client_ip(request),
            )
            safe = url_has_allowed_host_and_scheme(landing, allowed_hosts=None)
            target = landing if safe and landing.startswith("/") else "/"
            return redirect(f"{reverse('accounts:totp_setup')}?{urlencode({'next': target})}")
    return render(
        request,
        "accounts/simple_form.html",
        {
            "form": form,
            "title": _("Einladung annehmen"),
            "intro": _(
                "Guten Tag %(name)s, legen Sie Ihr Passwort fest. Danach richten Sie eine "
                "Authenticator-App als zweiten Faktor ein."
            )
            % {"name": user.get_full_name() or user.get_username()},
            "submit": _("Passwort speichern und weiter"),
        },
    )
