"""Access rules for pages of other domains: `staff_required` (back office, e-invoices)
and `operator_required` (Land console), as view decorators, class mixins and a
django-ninja auth class.

    from verbund.accounts.access import staff_required

    @staff_required
    def inbox(request, slug): ...

A request passes when the holder is logged in, the account is of kind `staff` (or
`operator` for `operator_required`), active, and the second factor was verified in this
session. Otherwise: anonymous → login page; wrong kind → 403; second factor missing →
the second-factor page. Which authority the staff member may see is *not* decided here:
that stays with `authorities.queries.get_authority_for_staff_or_404` and the domain's
own access helpers (404 for another authority's data).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from ninja.security import SessionAuth

from verbund.accounts.models import User
from verbund.accounts.session_state import second_factor_verified

View = TypeVar("View", bound=Callable[..., HttpResponse])


def _refusal(request: HttpRequest, kinds: set[str]) -> HttpResponse | None:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not isinstance(user, User) or user.kind not in kinds or not user.is_active:
        raise PermissionDenied("Diese Seite ist Beschäftigten der Behörden vorbehalten.")
    if not second_factor_verified(request):
        target = reverse("accounts:second_factor")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
    return None


def _kind_required(kinds: set[str]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refusal = _refusal(request, kinds)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


staff_required = _kind_required({User.Kind.STAFF})
operator_required = _kind_required({User.Kind.OPERATOR})


class StaffRequiredMixin:
    """For class-based views: the same checks as `staff_required`."""

    required_kinds: set[str] = {User.Kind.STAFF}

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refusal = _refusal(request, self.required_kinds)
        if refusal is not None:
            return refusal
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class OperatorRequiredMixin(StaffRequiredMixin):
    required_kinds = {User.Kind.OPERATOR}


class StaffSessionAuth(SessionAuth):
    """django-ninja auth for back-office endpoints: a staff session with verified second
    factor (CSRF checked as with every session auth). Failing requests get 401."""

    kinds: set[str] = {User.Kind.STAFF}

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if (
            isinstance(user, User)
            and user.is_active
            and user.kind in self.kinds
            and second_factor_verified(request)
        ):
            return user
        return None


class OperatorSessionAuth(StaffSessionAuth):
    kinds = {User.Kind.OPERATOR}


staff_session_auth = StaffSessionAuth()
operator_session_auth = OperatorSessionAuth()
