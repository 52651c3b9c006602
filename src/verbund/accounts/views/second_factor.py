"""The second factor: sign-in step, TOTP setup and passkeys."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from verbund.accounts import actions, forms, queries, totp
from verbund.accounts import passkeys as webauthn
from verbund.accounts.rules import SecondFactor
from verbund.accounts.session_state import (
    mark_second_factor,
    second_factor_verified,
)
from verbund.accounts.views.common import (
    LOGIN_CHALLENGE_KEY,
    REGISTER_CHALLENGE_KEY,
    _add_errors,
    _client_ip,
    _next_url,
    _user,
)
from verbund.core.errors import DomainError

# Second factor: verification at login


def _enrolment_allowed(request: HttpRequest) -> bool:
    """Adding a factor before the second factor is verified is only the first enrolment;
    otherwise it would bypass the factor the account already has."""
    return second_factor_verified(request) or not queries.has_second_factor_device(_user(request))


@login_required
@never_cache
def second_factor(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    target = _next_url(request)
    if second_factor_verified(request):
        return redirect(target)
    has_totp = queries.has_confirmed_totp(user)
    has_passkeys = queries.passkeys_of(user).exists()
    if not has_totp and not has_passkeys:
        return redirect(f"{reverse('accounts:totp_setup')}?{urlencode({'next': target})}")
    form = forms.TotpCodeForm(request.POST or None)
    if request.method == "POST" and has_totp and form.is_valid():
        ip = _client_ip(request)
        attempt = actions.reserve_login_attempt(username=user.username, ip_address=ip, stage="totp")
        if attempt is None:
            form.add_error("code", _("Zu viele falsche Codes. Bitte warten Sie einige Minuten."))
        elif actions.verify_totp(user=user, code=form.cleaned_data["code"]):
            actions.record_second_factor(user=user)
            mark_second_factor(request, SecondFactor.TOTP)
            return redirect(target)
        else:
            actions.record_failed_login(username=user.username, ip_address=ip, stage="totp")
            form.add_error("code", _("Der Code stimmt nicht oder wurde schon verwendet."))
    return render(
        request,
        "accounts/second_factor.html",
        {"form": form, "next": target, "has_totp": has_totp, "has_passkeys": has_passkeys},
    )


@login_required
@require_POST
def second_factor_passkey_options(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rp = webauthn.relying_party(request)
    allow = list(queries.passkeys_of(user).values_list("credential_id", flat=True))
    if not allow:
        return JsonResponse({"error": _("Für Ihr Konto ist kein Passkey registriert.")}, status=400)
    options, challenge = webauthn.authentication_options(rp=rp, allow=allow)
    request.session[LOGIN_CHALLENGE_KEY] = base64.b64encode(challenge).decode()
    return HttpResponse(options, content_type="application/json")


@login_required
@require_POST
def second_factor_passkey(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    challenge = request.session.pop(LOGIN_CHALLENGE_KEY, None)
    ip = _client_ip(request)
    attempt = actions.reserve_login_attempt(username=user.username, ip_address=ip, stage="passkey")
    if attempt is None:
        return JsonResponse({"error": _("Zu viele Fehlversuche. Bitte warten Sie.")}, status=429)
    try:
        credential = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": _("Ungültige Anfrage.")}, status=400)
    if not challenge or not isinstance(credential, dict):
        actions.release_login_attempt(attempt)
        return JsonResponse({"error": _("Bitte starten Sie die Anmeldung erneut.")}, status=400)
    passkey = actions.use_passkey(
        user=user,
        rp=webauthn.relying_party(request),
        credential=credential,
        challenge=base64.b64decode(challenge),
    )
    if passkey is None:
        actions.record_failed_login(username=user.username, ip_address=ip, stage="passkey")
        return JsonResponse({"error": _("Der Passkey konnte nicht bestätigt werden.")}, status=400)
    actions.record_second_factor(user=user)
    mark_second_factor(request, SecondFactor.PASSKEY)
    return JsonResponse({"redirect": _next_url(request)})


# Second factor: enrolment and removal


@login_required
@never_cache
def totp_setup(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    target = _next_url(request)
    if not _enrolment_allowed(request):
        return redirect(f"{reverse('accounts:second_factor')}?{urlencode({'next': target})}")
    device = queries.totp_device_of(user)
    if device is not None and device.is_confirmed:
        messages.info(request, _("Ein Authenticator ist bereits eingerichtet."))
        return redirect("accounts:account")
    if device is None or (request.method == "GET" and "neu" in request.GET):
        device = actions.begin_totp_setup(user=user)
    form = forms.TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.confirm_totp(user=user, code=form.cleaned_data["code"])
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            mark_second_factor(request, SecondFactor.TOTP)
            messages.success(request, _("Der Authenticator ist eingerichtet."))
            return redirect(target)
    uri = totp.provisioning_uri(
        secret=device.secret,
        account_name=user.email or user.username,
        issuer=settings.VERBUND_TOTP_ISSUER,
    )
    qr_svg = segno.make(uri, error="m").svg_inline(
        scale=4, title=_("QR-Code für die Authenticator-App")
    )
    return render(
        request,
        "accounts/totp_setup.html",
        {
            "form": form,
            "secret": device.secret,
            "secret_groups": " ".join(
                device.secret[i : i + 4] for i in range(0, len(device.secret), 4)
            ),
            "uri": uri,
            "qr_svg": qr_svg,
            "next": target,
            "enrolment_required": not second_factor_verified(request)
            and queries.second_factor_required(user),
        },
    )


@login_required
@require_POST
def totp_remove(request: HttpRequest) -> HttpResponse:
    try:
        actions.remove_totp(user=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Der Authenticator ist entfernt."))
    return redirect("accounts:account")


@login_required
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    if not _enrolment_allowed(request):
        return HttpResponseForbidden()
    user = _user(request)
    options, challenge = webauthn.registration_options(
        rp=webauthn.relying_party(request),
        user_handle=f"verbund-user-{user.pk}".encode(),
        user_name=user.email or user.username,
        display_name=queries.profile_of(user).display_name or user.get_username(),
        exclude=list(queries.passkeys_of(user).values_list("credential_id", flat=True)),
    )
    request.session[REGISTER_CHALLENGE_KEY] = base64.b64encode(challenge).decode()
    return HttpResponse(options, content_type="application/json")


@login_required
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    if not _enrolment_allowed(request):
        return HttpResponseForbidden()
    challenge = request.session.pop(REGISTER_CHALLENGE_KEY, None)
    try:
        body = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": _("Ungültige Anfrage.")}, status=400)
    if not challenge or not isinstance(body, dict):
        return JsonResponse({"error": _("Bitte starten Sie die Registrierung erneut.")}, status=400)
    try:
        actions.add_passkey(
            user=_user(request),
            name=str(body.get("name") or ""),
            rp=webauthn.relying_party(request),
            credential=body.get("credential") or {},
            challenge=base64.b64decode(challenge),
        )
    except DomainError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    if not second_factor_verified(request):
        mark_second_factor(request, SecondFactor.PASSKEY)
    messages.success(request, _("Der Passkey ist registriert."))
    return JsonResponse({"redirect": _next_url(request)})


@login_required
@require_POST
def passkey_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        actions.remove_passkey(user=user, passkey=queries.get_passkey_for_user_or_404(user, pk))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Der Passkey ist entfernt."))
    return redirect("accounts:account")
