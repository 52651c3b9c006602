"""Endpoints of Verbund's OpenID provider that differ from django-oauth-toolkit's: the
authorization endpoint honours `prompt`, `max_age` and `acr_values` against this
session's own login (OpenID Connect Core §3.1.2.1), and discovery says exactly what is
supported."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from oauth2_provider import views
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_backends import _add_iss_to_redirect
from oauth2_provider.settings import oauth2_settings
from oauthlib.openid.connect.core.exceptions import LoginRequired

from verbund.accounts.oidc_provider import acr_of, redirect_uri_is_safe, trust_level_of_acr
from verbund.accounts.rules import TrustLevel
from verbund.accounts.session_state import AuthState, auth_state, second_factor_pending

# Parameters that asked for a fresh or stronger login; dropped from the request the login
# page returns to, so that a login that cannot do better does not loop.
STEP_UP_PARAMETERS = {"prompt", "max_age", "acr_values"}


def requested_trust_level(acr_values: str) -> TrustLevel | None:
    """The lowest trust level among the requested `acr_values` Verbund knows; acr values
    are a list of acceptable values (OpenID Connect Core §3.1.2.1)."""
    levels = [level for v in acr_values.split() if (level := trust_level_of_acr(v))]
    return min(levels, key=lambda level: level.rank) if levels else None


def session_falls_short(request: HttpRequest, state: AuthState | None) -> bool:
    """Whether this session's login cannot answer the request without a new login."""
    if state is None or second_factor_pending(request):
        return True
    raw_max_age = request.GET.get("max_age", "")
    if raw_max_age.isdigit() and time.time() - state.authenticated_at > int(raw_max_age):
        return True
    wanted = requested_trust_level(request.GET.get("acr_values", ""))
    return wanted is not None and not state.trust_level.at_least(wanted)


class AuthorizationView(views.AuthorizationView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "GET":
            state = auth_state(request)
            prompt = set(request.GET.get("prompt", "").split())
            if session_falls_short(request, state):
                if "none" in prompt:
                    return self._login_required(request)
                if state is not None and "login" not in prompt:
                    return self._step_up(request)
        return super().dispatch(request, *args, **kwargs)

    def _step_up(self, request: HttpRequest) -> HttpResponse:
        parts = urlsplit(request.get_full_path())
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in STEP_UP_PARAMETERS]
        return redirect_to_login(f"{parts.path}?{urlencode(query)}")

    def _login_required(self, request: HttpRequest) -> HttpResponse:
        """`prompt=none` without a fitting session: the error goes back to the service
        (login_required), but only to a redirect URI registered for it."""
        client_id = request.GET.get("client_id", "")
        redirect_uri = request.GET.get("redirect_uri", "")
        application = get_application_model().objects.filter(client_id=client_id).first()
        if (
            application is None
            or not redirect_uri_is_safe(redirect_uri)
            or not application.redirect_uri_allowed(redirect_uri)
        ):
            return render(
                request,
                "oauth2_provider/authorize.html",
                {"error": {"error": "invalid_request", "description": "redirect_uri"}},
                status=400,
            )
        error = LoginRequired(state=request.GET.get("state"))
        error.redirect_uri = redirect_uri
        return self.error_response(
            OAuthToolkitError(error=error, redirect_uri=redirect_uri), application
        )

    def redirect(self, redirect_to: str, application: Any) -> HttpResponse:
        # RFC 9207: the issuer also in error responses, so the service can detect mix-ups.
        if "iss=" not in urlsplit(redirect_to).query:
            issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
            redirect_to = _add_iss_to_redirect(redirect_to, issuer)
        return super().redirect(redirect_to, application)

    def create_authorization_response(
        self, request: HttpRequest, scopes: str, credentials: dict[str, Any], allow: bool
    ) -> Any:
        state = auth_state(request)
        credentials = {
            **credentials,
            "verbund_auth": {
                "method": state.method if state else "",
                "trust_level": state.trust_level if state else TrustLevel.BASIC,
                "authenticated_at": (
                    datetime.datetime.fromtimestamp(state.authenticated_at, tz=datetime.UTC)
                    if state
                    else timezone.now()
                ),
            },
        }
        return super().create_authorization_response(
            request=request, scopes=scopes, credentials=credentials, allow=allow
        )


class ConnectDiscoveryInfoView(views.ConnectDiscoveryInfoView):
    """The discovery document lists exactly what the provider accepts."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data.update(
            {
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "subject_types_supported": ["pairwise"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ],
                "acr_values_supported": [acr_of(level) for level in TrustLevel],
                "prompt_values_supported": ["none", "login"],
                "claims_parameter_supported": False,
                "request_parameter_supported": False,
                "request_uri_parameter_supported": False,
            }
        )
        answer = JsonResponse(data)
        answer["Access-Control-Allow-Origin"] = "*"
        return answer


class UserInfoView(views.UserInfoView):
    """Userinfo takes the access token only from the Authorization header or the body,
    never from the query string (RFC 6750 §5.3, RFC 9700 §4.3.2)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "access_token" in request.GET:
            return JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "access_token in the query string",
                },
                status=400,
            )
        return super().dispatch(request, *args, **kwargs)
