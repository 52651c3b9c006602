"""What the session knows about how its holder logged in: the login method, the trust
level of that login, and whether a second factor was verified in this session.

Kept in the (database-backed) session, so every app server sees the same state."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest

from verbund.accounts.models import User
from verbund.accounts.queries import has_second_factor_device
from verbund.accounts.rules import SecondFactor, TrustLevel, needs_second_factor

KEY = "verbund.auth"
BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass(frozen=True)
class AuthState:
    method: str
    trust_level: TrustLevel
    second_factor: str | None
    authenticated_at: float


def start_session(
    request: HttpRequest, *, user: User, method: str, trust_level: TrustLevel
) -> None:
    """Log the user in (a fresh session key) and record how."""
    login(request, user, backend=BACKEND)
    request.session[KEY] = {
        "method": method,
        "trust_level": str(trust_level),
        "second_factor": None,
        "authenticated_at": time.time(),
        # Whether the holder had a second factor at login; kept so that the middleware
        # needs no query per request (a factor added later is verified when added).
        "has_device": has_second_factor_device(user),
    }


def mark_second_factor(request: HttpRequest, factor: SecondFactor) -> None:
    state: dict[str, Any] = dict(request.session.get(KEY) or {})
    state["second_factor"] = str(factor)
    # A new privilege level gets a new session key (session fixation).
    request.session.cycle_key()
    request.session[KEY] = state


def auth_state(request: HttpRequest) -> AuthState | None:
    raw = request.session.get(KEY) if hasattr(request, "session") else None
    if not raw or not request.user.is_authenticated:
        return None
    return AuthState(
        method=raw.get("method", ""),
        trust_level=TrustLevel(raw.get("trust_level", TrustLevel.BASIC)),
        second_factor=raw.get("second_factor"),
        authenticated_at=float(raw.get("authenticated_at", 0)),
    )


def second_factor_pending(request: HttpRequest) -> bool:
    """Whether this session must still present a second factor before anything else:
    always for staff, operators and admin users, for others when they had a factor at
    login."""
    user = request.user
    if not isinstance(user, User) or second_factor_verified(request):
        return False
    raw = request.session.get(KEY) or {}
    has_device = raw.get("has_device")
    if has_device is None:
        has_device = has_second_factor_device(user)
    return needs_second_factor(
        kind=user.kind,
        is_staff=user.is_staff,
        is_superuser=user.is_superuser,
        has_device=bool(has_device),
    )


def second_factor_verified(request: HttpRequest) -> bool:
    state = auth_state(request)
    return state is not None and state.second_factor is not None


def session_trust_level(request: HttpRequest) -> TrustLevel | None:
    """The trust level of this session's login, or None when nobody is logged in."""
    state = auth_state(request)
    return state.trust_level if state else None
