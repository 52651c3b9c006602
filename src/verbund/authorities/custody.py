"""A staff member's unlocked key for the length of a session (decision 0027).

Unlocking (the page "Schlüssel entsperren") opens the member's own private key with the key
passphrase. It is kept for the session in two halves: the session stores it encrypted
(AES-256-GCM) under a random key that only the browser holds, in its own cookie. Neither the
session store nor the cookie alone opens it; logging out, locking or the end of the session
loses it. During a request the key is in server memory only, reachable through
`current_keyring()` so that `queries.private_key_for_staff` can open the authority's key.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE = "verbund_keyring"
SESSION_FIELD = "verbund_keyring"


class KeyLocked(Exception):
    """The member's key is not unlocked in this session; the back office answers with the
    page "Schlüssel entsperren" (not a DomainError, so views that turn refusals into 404 or
    messages let it through to `KeyringMiddleware`)."""


@dataclass(frozen=True)
class Keyring:
    user_id: int
    private_jwk: dict[str, Any]


_current: ContextVar[Keyring | None] = ContextVar("verbund_keyring", default=None)


def current_keyring() -> Keyring | None:
    return _current.get()


@contextmanager
def keyring_in_use(keyring: Keyring | None) -> Iterator[None]:
    """Make `keyring` the unlocked key of the code inside (requests, tests)."""
    token = _current.set(keyring)
    try:
        yield
    finally:
        _current.reset(token)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def keep_in_session(request: HttpRequest, response: HttpResponse, keyring: Keyring) -> None:
    """Store the unlocked key for this session: ciphertext in the session, key in a cookie."""
    cookie_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    blob = AESGCM(cookie_key).encrypt(
        nonce, json.dumps(keyring.private_jwk).encode(), str(keyring.user_id).encode()
    )
    request.session[SESSION_FIELD] = {"user": keyring.user_id, "blob": _b64(nonce + blob)}
    response.set_cookie(
        COOKIE,
        _b64(cookie_key),
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def forget(request: HttpRequest, response: HttpResponse) -> None:
    request.session.pop(SESSION_FIELD, None)
    response.delete_cookie(COOKIE, samesite="Lax")


def keyring_of(request: HttpRequest) -> Keyring | None:
    """The unlocked key of this request's session, if both halves are there and fit."""
    stored = request.session.get(SESSION_FIELD) if hasattr(request, "session") else None
    cookie = request.COOKIES.get(COOKIE, "")
    user = getattr(request, "user", None)
    if not stored or not cookie or user is None or not user.is_authenticated:
        return None
    if not isinstance(stored, dict) or stored.get("user") != user.pk:
        return None
    try:
        raw = _unb64(str(stored["blob"]))
        plain = AESGCM(_unb64(cookie)).decrypt(raw[:12], raw[12:], str(user.pk).encode())
        private = json.loads(plain)
    except (InvalidTag, ValueError, KeyError, TypeError):
        return None
    return Keyring(user_id=int(user.pk), private_jwk=private)


class KeyringMiddleware:
    """Opens the session's keyring for the request and answers KeyLocked with the unlock
    page (403), so that no decryption path ends in a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with keyring_in_use(keyring_of(request)):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, KeyLocked):
            return None
        from verbund.authorities import views

        return views.unlock_page(request, locked=True)
