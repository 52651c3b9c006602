"""Public page of an authority; the back office's key pages (decision 0027): unlock one's
own key for the session, and the Leitung's page that grants, revokes and rotates."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from verbund.accounts import actions as account_actions
from verbund.accounts.access import staff_required
from verbund.authorities import actions, custody, queries
from verbund.core.errors import DomainError, NotFound


def authority_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        authority = queries.get_authority(slug)
    except DomainError as exc:
        raise Http404(exc.message) from None
    return render(request, "authorities/detail.html", {"authority": authority})


def _next_url(request: HttpRequest) -> str:
    target = str(request.POST.get("next") or request.GET.get("next") or "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("authorities:key_unlock")


def unlock_page(request: HttpRequest, *, locked: bool = False, error: str = "") -> HttpResponse:
    """The page "Schlüssel entsperren"; with `locked` the answer to a page that needed the
    key (403, and the form leads back there)."""
    next_url = request.get_full_path() if locked and request.method == "GET" else ""
    if not next_url:
        next_url = str(request.POST.get("next") or request.GET.get("next") or "")
    managed = (
        list(queries.memberships_of(request.user).filter(role__in=queries.KEY_MANAGER_ROLES))
        if request.user.is_authenticated
        else []
    )
    context = {
        "locked": locked,
        "error": error,
        "next": next_url,
        "has_staff_key": queries.staff_key_of(request.user) is not None,
        "unlocked": custody.current_keyring() is not None,
        "managed": managed,
    }
    status = 403 if locked or error else 200
    return render(request, "authorities/key_unlock.html", context, status=status)


@never_cache
@staff_required
def key_unlock(request: HttpRequest) -> HttpResponse:
    """Unlock (or first set) the member's key passphrase; lock again."""
    if request.method != "POST":
        return unlock_page(request)
    post = request.POST
    if "lock" in post:
        response = redirect(reverse("authorities:key_unlock"))
        custody.forget(request, response)
        messages.success(request, _("Ihr Schlüssel ist gesperrt."))
        return response
    passphrase = str(post.get("passphrase", ""))
    try:
        if "set" in post:
            if passphrase != str(post.get("passphrase_repeat", "")):
                return unlock_page(
                    request, error=_("Die beiden Passphrasen stimmen nicht überein.")
                )
            if queries.staff_key_of(request.user) is not None and not post.get("confirm_reset"):
                return unlock_page(
                    request,
                    error=_(
                        "Bitte bestätigen Sie, dass Ihre bisherigen Freigaben verfallen "
                        "und die Leitung sie erneuern muss."
                    ),
                )
            private = actions.set_key_passphrase(
                user=request.user, passphrase=passphrase, actor=request.user
            )
            keyring = custody.Keyring(user_id=request.user.pk or 0, private_jwk=private)
        else:
            keyring = _unlock_throttled(request, passphrase)
    except DomainError as exc:
        return unlock_page(request, error=exc.message)
    response = redirect(_next_url(request))
    custody.keep_in_session(request, response, keyring)
    messages.success(request, _("Ihr Schlüssel ist für diese Sitzung entsperrt."))
    return response


def _unlock_throttled(request: HttpRequest, passphrase: str) -> custody.Keyring:
    """Open the member's key; wrong passphrases count with the account's failed logins, so
    a taken-over session cannot guess on (scrypt alone would allow a few per second)."""
    username = str(request.user.get_username())
    attempt = account_actions.reserve_login_attempt(
        username=username, ip_address=request.META.get("REMOTE_ADDR") or None, stage="key"
    )
    if attempt is None:
        raise DomainError(
            _("Zu viele Fehlversuche. Bitte versuchen Sie es später erneut."),
            code="rate_limited",
            status=429,
        )
    keyring = queries.unlock_staff_key(request.user, passphrase)
    account_actions.release_login_attempt(attempt)
    return keyring


@never_cache
@staff_required
def key_access(request: HttpRequest, slug: str) -> HttpResponse:
    """Leitung and Administration: who holds the authority's key; grant, revoke, rotate."""
    try:
        membership = queries.key_manager_membership_or_404(request.user, slug)
    except NotFound as exc:
        raise Http404(exc.message) from None
    authority = membership.authority
    active = queries.active_encryption_key(authority)
    return render(
        request,
        "authorities/key_access.html",
        {
            "authority": authority,
            "key": active,
            "holders": queries.key_holders(authority),
            "unlocked": custody.current_keyring() is not None,
        },
    )


@staff_required
@require_POST
def key_access_change(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        membership = queries.key_manager_membership_or_404(request.user, slug)
    except NotFound as exc:
        raise Http404(exc.message) from None
    authority = membership.authority
    verb = str(request.POST.get("verb", ""))
    try:
        if verb in ("grant", "revoke"):
            member = queries.member_or_404(authority, str(request.POST.get("member", "")))
            if verb == "grant":
                actions.grant_key_access(membership=member, actor=request.user)
                messages.success(request, _("Der Schlüssel ist freigegeben."))
            else:
                actions.revoke_key_access(membership=member, actor=request.user)
                messages.success(
                    request,
                    _("Die Freigabe ist gelöscht. Erneuern Sie jetzt den Schlüssel der Behörde."),
                )
        elif verb == "rotate":
            actions.rotate_encryption_key(authority=authority, actor=request.user)
            messages.success(
                request, _("Neue Anträge werden mit dem neuen Schlüssel verschlüsselt.")
            )
        elif verb == "custody":
            key = queries.active_encryption_key(authority)
            if key is None:
                raise Http404(_("Die Behörde hat noch keinen Schlüssel."))
            actions.take_key_into_staff_custody(key=key, actor=request.user)
            messages.success(request, _("Die Plattform hält den Schlüssel nicht mehr."))
        else:
            raise Http404(_("Unbekannte Aktion."))
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("authorities:key_access", slug=authority.slug)
