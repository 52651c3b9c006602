"""Session rules of the Servicekonto: idle expiry, and the second factor that staff,
Land operators and everyone who set one up must present before anything else."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from verbund.accounts.session_state import KEY as SESSION_STATE_KEY
from verbund.accounts.session_state import second_factor_pending

LAST_SEEN_KEY = "verbund.last_seen"
# Writing the session on every request would cost a database write each time; a minute's
# precision is enough for an idle limit measured in tens of minutes.
LAST_SEEN_RESOLUTION = 60

# Pages a session without its second factor may still reach.
SECOND_FACTOR_URL_NAMES = {
    "accounts:second_factor",
    "accounts:second_factor_passkey_options",
    "accounts:second_factor_passkey",
    "accounts:totp_setup",
    "accounts:passkey_register_options",
    "accounts:passkey_register",
    "accounts:logout",
    "set_language",
}


class SessionIdleMiddleware:
    """Ends a login session after VERBUND_SESSION_IDLE_TIMEOUT seconds without a request,
    and in any case SESSION_COOKIE_AGE seconds after the login (saving the session would
    otherwise push the cookie's expiry forward with every active minute)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timeout = settings.VERBUND_SESSION_IDLE_TIMEOUT
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            logged_in_at = (request.session.get(SESSION_STATE_KEY) or {}).get("authenticated_at")
            idle = timeout and last_seen is not None and now - float(last_seen) > timeout
            too_old = logged_in_at and now - float(logged_in_at) > settings.SESSION_COOKIE_AGE
            if idle or too_old:
                logout(request)
                if request.path.startswith("/api/"):
                    return _problem(401, "session_expired", "Die Sitzung ist abgelaufen.")
                return redirect_to_login(request.get_full_path())
            if last_seen is None or now - float(last_seen) > LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """Lets an account that needs a second factor reach nothing but the second-factor
    pages (and logout) until the factor is verified in this session. Applies to staff,
    Land operators and Django admin users always, to citizens once they set one up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._allowed_paths: set[str] | None = None

    def allowed_paths(self) -> set[str]:
        if self._allowed_paths is None:
            self._allowed_paths = {reverse(name) for name in SECOND_FACTOR_URL_NAMES}
        return self._allowed_paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(settings.STATIC_URL)
            and request.path not in self.allowed_paths()
            and second_factor_pending(request)
        ):
            if request.path.startswith("/api/"):
                return _problem(
                    403,
                    "second_factor_required",
                    "Bitte bestätigen Sie zuerst Ihre Anmeldung mit dem zweiten Faktor.",
                )
            target = reverse("accounts:second_factor")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def _problem(status: int, code: str, title: str) -> JsonResponse:
    response = JsonResponse(
        {"type": f"urn:verbund:problem:{code}", "title": title, "status": status, "code": code},
        status=status,
    )
    response["Content-Type"] = "application/problem+json"
    return response
