"""Client of the XBezahldienste payment interface (ePayBL, pmPayment and other payment
platforms of the German administration speak it).

The interface as relied on here (see docs/decisions/0015): the online service POSTs a
`PaymentRequest` to `{base}paymenttransaction/{originatorId}/{endpointId}` and gets a
`PaymentTransaction` back, whose `paymentInformation` carries the provider's `transactionId`
and the `transactionRedirectUrl` of the pay page. After the payer returns to `redirectUrl`,
the status (INITIAL, PAYED, FAILED, CANCELED) is learned only by the authenticated status
query `GET {base}paymenttransaction/{originatorId}/{endpointId}/{transactionId}`; neither the
return nor any notification is believed by itself. Authentication is OAuth 2.0 client
credentials (pmPayment) and/or a TLS client certificate (ePayBL).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import requests

from verbund.integrations.payment import (
    STATUSES,
    PaymentRequest,
    PaymentStart,
    PaymentStatus,
    ProviderRefused,
    ProviderUnavailable,
)


@dataclass(frozen=True)
class Config:
    base_url: str
    originator_id: str
    endpoint_id: str
    token_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    client_cert: str = ""  # PEM file with certificate and key (ePayBL)
    timeout: float = 20.0

    @property
    def collection(self) -> str:
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return (
            f"{base}paymenttransaction/{quote(self.originator_id, safe='')}/"
            f"{quote(self.endpoint_id, safe='')}"
        )


def request_body(request: PaymentRequest) -> dict[str, Any]:
    """The PaymentRequest as the interface names its fields (`grosAmount` is spelt so)."""
    items = [
        {
            "id": item.item_id,
            "reference": item.reference,
            "description": item.description[:250],
            "taxRate": "0.00",
            "quantity": 1,
            "totalNetAmount": str(item.amount),
            "totalTaxAmount": "0.00",
            "singleNetAmount": str(item.amount),
            "singleTaxAmount": "0.00",
            "bookingData": dict(item.booking_data),
        }
        for item in request.items
    ]
    return {
        "requestId": request.request_id,
        "requestTimestamp": request.timestamp,
        "currency": request.currency,
        "grosAmount": str(request.amount),
        "purpose": request.purpose,
        "description": request.description[:250],
        "redirectUrl": request.redirect_url,
        "items": items,
    }


class XBezahldiensteProvider:
    name = "xbezahldienste"

    def __init__(self, config: Config, session: requests.Session | None = None) -> None:
        self.config = config
        self.http = session or requests.Session()
        if config.client_cert:
            self.http.cert = config.client_cert
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def start(self, request: PaymentRequest) -> PaymentStart:
        """Create the payment request at the provider; where to send the payer."""
        answer = self._call("POST", self.config.collection, json=request_body(request))
        info = answer.get("paymentInformation") or {}
        transaction_id = str(info.get("transactionId") or "")
        redirect = str(info.get("transactionRedirectUrl") or "")
        if not transaction_id or not redirect.startswith(("https://", "http://")):
            raise ProviderUnavailable("answer without transactionId or transactionRedirectUrl")
        return PaymentStart(payment_url=redirect, reference=transaction_id)

    def status(self, transaction_id: str) -> PaymentStatus:
        """The provider's current status of one transaction (the only status believed)."""
        answer = self._call("GET", f"{self.config.collection}/{quote(transaction_id, safe='')}")
        info = answer.get("paymentInformation") or {}
        request = answer.get("paymentRequest") or {}
        status = str(info.get("status") or "")
        if status not in STATUSES:
            raise ProviderUnavailable(f"unknown status {status!r}")
        try:
            amount = Decimal(str(request["grosAmount"])) if "grosAmount" in request else None
        except (InvalidOperation, ValueError):
            raise ProviderUnavailable("grosAmount is not a number") from None
        return PaymentStatus(
            status=status,
            transaction_id=str(info.get("transactionId") or transaction_id),
            request_id=str(request.get("requestId") or ""),
            amount=amount,
            reference=str(info.get("transactionReference") or ""),
            payment_method=str(info.get("paymentMethod") or ""),
            paid_at=str(info.get("transactionTimestamp") or ""),
            detail=str(info.get("statusDetail") or ""),
        )

    # --- transport ---------------------------------------------------------------------------

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        token = self._bearer()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self.http.request(
                method, url, headers=headers, timeout=self.config.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"{exc.__class__.__name__}") from exc
        if response.status_code == 401 and token:
            self._token = None  # expired early: one fresh token, once
            headers["Authorization"] = f"Bearer {self._bearer()}"
            try:
                response = self.http.request(
                    method, url, headers=headers, timeout=self.config.timeout, **kwargs
                )
            except requests.RequestException as exc:
                raise ProviderUnavailable(f"{exc.__class__.__name__}") from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(f"HTTP {response.status_code}")
        body: Any
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            problem = body if isinstance(body, dict) else {}
            raise ProviderRefused(
                str(problem.get("functionalCode") or f"HTTP {response.status_code}"),
                str(problem.get("detail") or problem.get("title") or ""),
            )
        if not isinstance(body, dict):
            raise ProviderUnavailable("answer is not a JSON object")
        return body

    def _bearer(self) -> str:
        """An OAuth 2.0 access token by client credentials, kept until shortly before expiry."""
        if not self.config.token_url:
            return ""
        with self._lock:
            if self._token and self._token[1] > time.monotonic():
                return self._token[0]
            try:
                response = self.http.post(
                    self.config.token_url,
                    data={"grant_type": "client_credentials"},
                    auth=(self.config.client_id, self.config.client_secret),
                    timeout=self.config.timeout,
                )
            except requests.RequestException as exc:
                raise ProviderUnavailable(f"token: {exc.__class__.__name__}") from exc
            if response.status_code != 200:
                raise ProviderUnavailable(f"token: HTTP {response.status_code}")
            answer = response.json()
            lifetime = float(answer.get("expires_in") or 300)
            self._token = (str(answer["access_token"]), time.monotonic() + lifetime * 0.8)
            return self._token[0]
