"""A payment platform speaking XBezahldienste, for the tests: a real HTTP server on loopback.

Written from the interface description (docs/decisions/0015), not from Verbund's client:
`POST {base}paymenttransaction/{originatorId}/{endpointId}` takes a PaymentRequest and
answers a PaymentTransaction (paymentRequest + paymentInformation with transactionId,
transactionUrl, transactionRedirectUrl, status INITIAL); `GET …/{transactionId}` answers the
current PaymentTransaction; errors are problem objects with a functionalCode
(PAYMENT_EXISTS, CALCULATION_ERROR, VALIDATION_ERROR, FORBIDDEN,
NO_VALID_ORIGINATOR_OR_ENDPOINT). Access needs an OAuth 2.0 client-credentials token. The pay
page (`/paypage/{transactionId}?action=pay|cancel|fail`) stands for the payer's visit; it
redirects back to the request's redirectUrl. Notifications (a platform feature outside the
interface) are signed `sha256=HMAC(secret, body)`; the tests deliver them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import re
import secrets
import ssl
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlparse

ORIGINATOR = "verbund-test-verfahren"
ENDPOINT = "16051000"
CLIENT_ID = "verbund"
CLIENT_SECRET = "geheim-4711"
METHODS = {"pay": ("PAYED", "CREDITCARD"), "cancel": ("CANCELED", ""), "fail": ("FAILED", "")}


class XBezahldiensteServer:
    """`tls`: serve HTTPS and require a client certificate (ePayBL's way) instead of a token."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.transactions: dict[str, dict[str, Any]] = {}
        self.by_request_id: dict[str, str] = {}
        self.tokens: set[str] = set()
        self.calls: list[tuple[str, str]] = []  # (method, path)
        self.delay = 0.0  # seconds to wait before answering the interface (timeouts)
        self.notify_secret = b""
        self._lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                server._handle(self, "POST")

            def do_GET(self) -> None:
                server._handle(self, "GET")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.base = f"{self.url}/konnektor/epayment/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- what the tests do as the payer or the platform ---------------------------------------

    def settle(self, transaction_id: str, action: str) -> None:
        """The payer pays, cancels or fails on the pay page (without following the redirect)."""
        status, method = METHODS[action]
        with self._lock:
            info = self.transactions[transaction_id]["paymentInformation"]
            info["status"] = status
            info.pop("transactionRedirectUrl", None)
            if status == "PAYED":
                info["paymentMethod"] = method
                info["transactionTimestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                info["transactionReference"] = "KZ" + transaction_id[:10].upper()

    def notification(
        self, transaction_id: str, *, secret: bytes | None = None
    ) -> tuple[bytes, str]:
        """The notification the platform sends for a transaction: (body, signature header)."""
        body = json.dumps(self.transactions[transaction_id]).encode()
        key = self.notify_secret if secret is None else secret
        return body, "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()

    def status_queries(self) -> int:
        return sum(1 for m, p in self.calls if m == "GET" and "/paymenttransaction/" in p)

    # --- the interface ------------------------------------------------------------------------

    def _handle(self, h: http.server.BaseHTTPRequestHandler, method: str) -> None:
        path = urlparse(h.path).path
        self.calls.append((method, path))
        if path == "/token" and method == "POST":
            return self._token(h)
        if path.startswith("/paypage/") and method == "GET":
            return self._paypage(h, path.removeprefix("/paypage/"), urlparse(h.path).query)
        match = re.fullmatch(
            r"/konnektor/epayment/paymenttransaction/([^/]+)/([^/]+)(?:/([^/]+))?", path
        )
        if not match:
            return self._problem(h, 404, "UNSPECIFIED", "unknown path")
        if self.delay:
            time.sleep(self.delay)
        auth = h.headers.get("Authorization", "")
        token_ok = auth.startswith("Bearer ") and auth.removeprefix("Bearer ") in self.tokens
        # With TLS the handshake has already required a certificate signed by the platform's CA.
        if self.tls is None and not token_ok:
            return self._problem(h, 401, "FORBIDDEN", "no valid access token")
        originator, endpoint, transaction_id = match.groups()
        if (originator, endpoint) != (ORIGINATOR, ENDPOINT):
            return self._problem(h, 404, "NO_VALID_ORIGINATOR_OR_ENDPOINT", "")
        if method == "POST" and transaction_id is None:
            return self._create(h, originator, endpoint)
        if method == "GET" and transaction_id is not None:
            with self._lock:
                found = self.transactions.get(transaction_id)
            if found is None:
                return self._problem(h, 404, "UNSPECIFIED", "unknown transaction")
            return self._json(h, 200, found)
        return self._problem(h, 405, "UNSPECIFIED", "method not allowed")

    def _token(self, h: http.server.BaseHTTPRequestHandler) -> None:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = parse_qs(h.rfile.read(int(h.headers.get("Content-Length", 0))).decode())
        if h.headers.get("Authorization") != expected or form.get("grant_type") != [
            "client_credentials"
        ]:
            return self._json(h, 401, {"error": "invalid_client"})
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return self._json(
            h, 200, {"access_token": token, "token_type": "Bearer", "expires_in": 300}
        )

    def _create(
        self, h: http.server.BaseHTTPRequestHandler, originator: str, endpoint: str
    ) -> None:
        try:
            request = json.loads(h.rfile.read(int(h.headers.get("Content-Length", 0))))
        except ValueError:
            return self._problem(h, 400, "VALIDATION_ERROR", "body is not JSON")
        problem = self._validate(request)
        if problem:
            return self._problem(h, 400, *problem)
        with self._lock:
            if request["requestId"] in self.by_request_id:
                return self._problem(h, 409, "PAYMENT_EXISTS", "requestId already used")
            transaction_id = secrets.token_hex(8)
            collection = f"{self.base}paymenttransaction/{originator}/{endpoint}"
            self.by_request_id[request["requestId"]] = transaction_id
            self.transactions[transaction_id] = {
                "paymentRequest": request,
                "paymentInformation": {
                    "transactionUrl": f"{collection}/{transaction_id}",
                    "transactionRedirectUrl": f"{self.url}/paypage/{transaction_id}",
                    "transactionId": transaction_id,
                    "status": "INITIAL",
                },
            }
            answer = self.transactions[transaction_id]
        return self._json(h, 200, answer)

    @staticmethod
    def _validate(request: Any) -> tuple[str, str] | None:
        if not isinstance(request, dict):
            return ("VALIDATION_ERROR", "PaymentRequest must be an object")
        for field in ("requestId", "currency", "grosAmount", "purpose", "redirectUrl", "items"):
            if field not in request:
                return ("VALIDATION_ERROR", f"{field} missing")
        if not re.fullmatch(r"[\w-]{1,36}", str(request["requestId"])):
            return ("VALIDATION_ERROR", "requestId: 1-36 of [A-Za-z0-9_-]")
        if request["currency"] != "EUR":
            return ("VALIDATION_ERROR", "currency must be EUR")
        if not re.fullmatch(r"[\w \-]{1,27}", str(request["purpose"])):
            return ("BOOKING_DATA_MISSING", "purpose: 1-27 letters, digits, blanks, hyphens")
        try:
            total = Decimal(str(request["grosAmount"]))
            items = sum(
                Decimal(str(i["totalNetAmount"])) + Decimal(str(i["totalTaxAmount"]))
                for i in request["items"]
            )
        except (InvalidOperation, KeyError, TypeError):
            return ("VALIDATION_ERROR", "amounts must be numbers")
        if not request["items"] or total <= 0 or items != total:
            return ("CALCULATION_ERROR", f"grosAmount {total} != sum of items {items}")
        if not str(request["redirectUrl"]).startswith(("http://", "https://")):
            return ("VALIDATION_ERROR", "redirectUrl must be an absolute URL")
        return None

    def _paypage(
        self, h: http.server.BaseHTTPRequestHandler, transaction_id: str, query: str
    ) -> None:
        action = parse_qs(query).get("action", ["pay"])[0]
        if transaction_id not in self.transactions or action not in METHODS:
            return self._json(h, 404, {})
        self.settle(transaction_id, action)
        h.send_response(302)
        h.send_header(
            "Location", self.transactions[transaction_id]["paymentRequest"]["redirectUrl"]
        )
        h.end_headers()

    @staticmethod
    def _json(h: http.server.BaseHTTPRequestHandler, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _problem(
        self, h: http.server.BaseHTTPRequestHandler, status: int, code: str, detail: str
    ) -> None:
        self._json(
            h,
            status,
            {
                "type": "about:blank",
                "status": status,
                "title": code,
                "detail": detail,
                "functionalCode": code,
            },
        )
