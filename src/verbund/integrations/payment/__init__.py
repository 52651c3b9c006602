"""Payment providers in the shape of XBezahldienste / ePayBL.

A payment request carries `requestId`, amount, currency, purpose and the `redirectUrl` the
payer returns to; its status is INITIAL, PAYED, FAILED or CANCELED. The provider tells the
portal the outcome by a callback signed with HMAC-SHA256 over the canonical JSON body; the
portal verifies the signature before it believes a status.
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


@dataclass(frozen=True)
class PaymentRequest:
    request_id: str
    amount: Decimal
    currency: str
    purpose: str
    description: str
    redirect_url: str

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


class PaymentProvider(Protocol):
    name: str

    def start(self, request: PaymentRequest) -> PaymentStart: ...


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(body: dict[str, Any], secret: bytes) -> str:
    return hmac.new(secret, canonical(body), hashlib.sha256).hexdigest()


def verify(raw_body: bytes, signature: str, secret: bytes) -> dict[str, Any] | None:
    """The callback body if the signature over its canonical form is right, else None."""
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    expected = sign(body, secret)
    if not hmac.compare_digest(expected, signature or ""):
        return None
    if body.get("status") not in STATUSES or not body.get("requestId"):
        return None
    return body
