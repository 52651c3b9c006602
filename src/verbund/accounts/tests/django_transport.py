"""A `requests` transport adapter that hands HTTP calls to Django's test client, so real
HTTP clients (authlib) talk to Verbund through its full URL, middleware and view stack
inside the test's database transaction."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from django.test import Client
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

# No wire, so no compression: requests would not unpack a body handed over as is.
SKIPPED_HEADERS = {"host", "content-length", "cookie", "content-type", "accept-encoding"}


class DjangoClientAdapter(BaseAdapter):
    def __init__(self, client: Client | None = None) -> None:
        super().__init__()
        self.client = client or Client()
        self.calls: list[str] = []

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def, override]
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        self.calls.append(f"{request.method} {url.path}")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        answer = self.client.generic(
            request.method,
            path,
            data=body,
            content_type=request.headers.get("Content-Type", ""),
            headers={k: v for k, v in request.headers.items() if k.lower() not in SKIPPED_HEADERS},
            secure=url.scheme == "https",
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(answer.headers.items())
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def session_for(client: Client | None = None) -> requests.Session:
    session = requests.Session()
    adapter = DjangoClientAdapter(client)
    session.mount("http://testserver", adapter)
    session.mount("https://testserver", adapter)
    return session
