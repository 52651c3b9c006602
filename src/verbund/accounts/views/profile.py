"""The account page: profile, data export, deletion, organisation, prefill consent."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from verbund.accounts import actions, forms, oidc_client, queries, saml
from verbund.accounts.account_data import account_template
from verbund.accounts.rules import TrustLevel
from verbund.accounts.session_state import (
    auth_state,
    session_trust_level,
)
from verbund.accounts.views.common import _add_errors, _base_url, _next_url, _user
from verbund.core.errors import DomainError

# Account page, profile, export, deletion


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    state = auth_state(request)
    context = {
        "profile": queries.profile_of(user),
        "totp_device": queries.totp_device_of(user),
        "passkeys": queries.passkeys_of(user),
        "identities": queries.identities_of(user),
        "organisations": queries.organisations_of(user),
        "auth_state": state,
        "saml_enabled": saml.is_configured(),
        "oidc_providers": oidc_client.providers().values(),
        "second_factor_required": queries.second_factor_required(user),
    }
    return render(request, account_template(), context)


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    profile = queries.profile_of(user)
    initial = {name: getattr(profile, name) for name in actions.PROFILE_FIELDS}
    form = forms.ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_profile(user=user, actor=user, **form.cleaned_data)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Ihre Angaben sind gespeichert."))
            return redirect("accounts:account")
    status = 422 if form.errors else 200
    return render(
        request, "accounts/profile_edit.html", {"form": form, "profile": profile}, status=status
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    data = queries.export_account_data(_user(request))
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="servicekonto-export.json"'
    return response


@login_required
@never_cache
def delete_account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.is_citizen_like:
        raise Http404
    form = forms.DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if user.has_usable_password() and not user.check_password(form.cleaned_data["password"]):
            form.add_error("password", _("Das Passwort stimmt nicht."))
        else:
            actions.delete_account(user=user, actor=user)
            logout(request)
            messages.success(request, _("Ihr Servicekonto und seine Daten sind gelöscht."))
            return redirect("start")
    return render(request, "accounts/delete.html", {"form": form})


# Organisations


@login_required
def organisation(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        org = queries.get_organisation_for_admin_or_404(user, pk)
    except DomainError:
        raise Http404 from None
    form = forms.MemberForm(request.POST or None)
    if request.method == "POST":
        try:
            if "remove" in request.POST:
                actions.remove_organisation_member(
                    organisation=org, actor=user, member_id=int(request.POST["remove"])
                )
                messages.success(request, _("Die Person handelt nicht mehr für die Organisation."))
                return redirect("accounts:organisation", pk=org.pk)
            if form.is_valid():
                actions.add_organisation_member(
                    organisation=org,
                    actor=user,
                    email=form.cleaned_data["email"],
                    base_url=_base_url(request),
                )
                messages.success(request, _("Die Person kann jetzt für die Organisation handeln."))
                return redirect("accounts:organisation", pk=org.pk)
        except DomainError as exc:
            _add_errors(form, exc)
        except ValueError:
            return HttpResponseBadRequest()
    members = org.memberships.select_related("user").order_by("user__email")
    return render(
        request,
        "accounts/organisation.html",
        {"organisation": org, "members": members, "form": form},
    )


# Prefill consent (once-only)


@login_required
@never_cache
def prefill_consent(request: HttpRequest) -> HttpResponse:
    """Asks the holder to release named profile values for one form. The calling page
    (applications) links here with `fields`, `purpose` and `next`; on consent the browser
    returns to `next` with `prefill_consent=<token>` for `actions.prefill_for`."""
    user = _user(request)
    source = request.POST if request.method == "POST" else request.GET
    requested = [f for f in source.get("fields", "").split(",") if f in queries.PREFILL_FIELDS]
    purpose = source.get("purpose", "")[:300]
    target = _next_url(request)
    if not requested or not purpose:
        return HttpResponseBadRequest(
            _("Es fehlt, welche Angaben wofür vorausgefüllt werden sollen.")
        )
    profile = queries.profile_of(user)
    values = {name: getattr(profile, name, None) for name in requested}
    values["email"] = user.email if "email" in requested else None
    rows = [
        {"name": name, "label": queries.PREFILL_FIELDS[name], "value": values.get(name)}
        for name in requested
    ]
    if request.method == "POST":
        separator = "&" if "?" in target else "?"
        if "decline" in request.POST:
            return redirect(target)
        chosen = [name for name in request.POST.getlist("field") if name in requested]
        if not chosen:
            return redirect(target)
        consent = actions.grant_prefill_consent(
            user=user,
            fields=chosen,
            purpose=purpose,
            trust_level=session_trust_level(request) or TrustLevel.BASIC,
        )
        return redirect(f"{target}{separator}{urlencode({'prefill_consent': consent.token})}")
    return render(
        request,
        "accounts/prefill_consent.html",
        {
            "rows": rows,
            "purpose": purpose,
            "next": target,
            "fields": ",".join(requested),
            "trust_level": session_trust_level(request),
        },
    )
