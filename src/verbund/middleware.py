"""The middleware that only pages need, passed by for the sender API (decision 0034,
addendum "the sender API's requests").

A sender's system calls the submission API (`/api/v1/submissions`, FIT-Connect shape) and
reads destinations and keys (`/api/v1/destinations`) without a session, a login, a form
or a page: the request carries JSON or a JWE and is answered with JSON. Sessions, the
login state and its rules (idle expiry, second factor), CSRF, messages and the staff
keyring have nothing to do there, but each costs its share of every request, three times
per submission. The classes below are those middlewares, unchanged for every other
request; for the sender API's requests they pass the request straight on (the login state
is then always "anonymous"). What holds for every request stays in the chain for these
too: security headers and CSP, the language (German), the size limit and the NUL refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware as _Messages
from django.contrib.sessions.middleware import SessionMiddleware as _Sessions
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware as _Csrf

from verbund.accounts.middleware import SecondFactorMiddleware as _SecondFactor
from verbund.accounts.middleware import SessionIdleMiddleware as _SessionIdle
from verbund.authorities.custody import KeyringMiddleware as _Keyring

# The sender API: every path below these is called by machines, never by a browser's page.
SENDER_API_PATHS = ("/api/v1/submissions", "/api/v1/destinations")


def is_sender_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(SENDER_API_PATHS)


def _anonymous(request: HttpRequest) -> None:
    request.user = AnonymousUser()


def for_pages(middleware: type, *, instead: Callable[[HttpRequest], None] | None = None) -> type:
    """`middleware` for every request but the sender API's, which it passes on untouched
    (after `instead(request)`, where the rest of the chain expects what it would set)."""

    class ForPages(middleware):
        def __call__(self, request: HttpRequest) -> Any:
            if is_sender_api(request):
                if instead is not None:
                    instead(request)
                return self.get_response(request)
            return super().__call__(request)

    # The hooks Django collects from the chain pass these requests by too.
    if hasattr(middleware, "process_view"):

        def process_view(self: Any, request: HttpRequest, *args: Any) -> Any:
            return (
                None
                if is_sender_api(request)
                else super(ForPages, self).process_view(request, *args)
            )

        ForPages.process_view = process_view
    if hasattr(middleware, "process_exception"):

        def process_exception(self: Any, request: HttpRequest, exception: Exception) -> Any:
            if is_sender_api(request):
                return None
            return super(ForPages, self).process_exception(request, exception)

        ForPages.process_exception = process_exception
    if hasattr(middleware, "process_template_response"):

        def process_template_response(
            self: Any, request: HttpRequest, response: HttpResponse
        ) -> Any:
            if is_sender_api(request):
                return response
            return super(ForPages, self).process_template_response(request, response)

        ForPages.process_template_response = process_template_response
    ForPages.__name__ = ForPages.__qualname__ = middleware.__name__
    ForPages.__doc__ = middleware.__doc__
    return ForPages


SessionMiddleware = for_pages(_Sessions)
CsrfViewMiddleware = for_pages(_Csrf)
AuthenticationMiddleware = for_pages(_Authentication, instead=_anonymous)
SessionIdleMiddleware = for_pages(_SessionIdle)
SecondFactorMiddleware = for_pages(_SecondFactor)
MessageMiddleware = for_pages(_Messages)
KeyringMiddleware = for_pages(_Keyring)
