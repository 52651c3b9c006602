"""Payment providers: XBezahldienste (ePayBL, pmPayment, …) and the demo's test provider.

A payment request carries `requestId`, amount, currency, purpose, items and the
`redirectUrl` the payer returns to; its status is INITIAL, PAYED, FAILED or CANCELED. A real
provider's status is learned only by its authenticated status query
(`PaymentProvider.status`); a notification from the provider is believed only with a valid
HMAC-SHA256 signature, and even then it only triggers that query. The built-in test provider
(demo only) has no status query: its signed callback carries the status itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

STATUSES = ("INITIAL", "PAYED", "FAILED", "CANCELED")
SIGNATURE_HEADER = "X-Verbund-Signature"


class ProviderUnavailable(Exception):
    """The provider did not answer usefully (network, timeout, 5xx, malformed answer)."""


class ProviderRefused(Exception):
    """The provider refused the call (4xx), with the interface's functionalCode."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class PaymentItem:
    item_id: str
    reference: str
    description: str
    amount: Decimal
    booking_data: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PaymentRequest:
    request_id: str
    amount: Decimal
    currency: str
    purpose: str
    description: str
    redirect_url: str
    timestamp: str = ""
    items: tuple[PaymentItem, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "grossAmount": str(self.amount),
            "currency": self.currency,
            "purpose": self.purpose,
            "description": self.description,
            "redirectUrl": self.redirect_url,
        }


@dataclass(frozen=True)
class PaymentStart:
    """Where to send the payer, and the provider's reference for the request."""

    payment_url: str
    reference: str


@dataclass(frozen=True)
class PaymentStatus:
    """What the provider's status query said about one transaction."""

    status: str
    transaction_id: str
    request_id: str = ""
    amount: Decimal | None = None
    reference: str = ""
    payment_method: str = ""
    paid_at: str = ""
    detail: str = ""


class PaymentProvider(Protocol):
    name: str

    def start(self, request: PaymentRequest) -> PaymentStart: ...


class QueryableProvider(PaymentProvider, Protocol):
    def status(self, transaction_id: str) -> PaymentStatus: ...


def sign_notification(raw_body: bytes, secret: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of a provider's notification body."""
    return "sha256=" + hmac.new(secret, raw_body, hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison that also takes a header with non-ASCII characters (which
    `hmac.compare_digest` refuses as str) as simply wrong."""
    return hmac.compare_digest(expected.encode(), (given or "").encode("utf-8", "replace"))


def notification_signed(raw_body: bytes, signature: str, secret: bytes) -> bool:
    return _same(sign_notification(raw_body, secret), signature)


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(body: dict[str, Any], secret: bytes) -> str:
    return hmac.new(secret, canonical(body), hashlib.sha256).hexdigest()


def verify(raw_body: bytes, signature: str, secret: bytes) -> dict[str, Any] | None:
    """The callback body if the signature over its canonical form is right, else None."""
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    try:
        expected = sign(body, secret)
    except (ValueError, RecursionError):  # nested too deeply to write back
        return None
    if not _same(expected, signature):
        return None
    if body.get("status") not in STATUSES or not body.get("requestId"):
        return None
    return body
