"""Pages of the Servicekonto. Thin: forms in, actions and queries do the work."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    JsonResponse,
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

from verbund.accounts import actions, forms, oidc_client, queries, saml, totp
from verbund.accounts import passkeys as webauthn
from verbund.accounts.account_data import account_template
from verbund.accounts.federation import FederatedLogin, FederationError
from verbund.accounts.models import User
from verbund.accounts.rules import PASSWORD_TRUST_LEVEL, LoginMethod, SecondFactor, TrustLevel
from verbund.accounts.session_state import (
    auth_state,
    mark_second_factor,
    second_factor_verified,
    session_trust_level,
    start_session,
)
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
