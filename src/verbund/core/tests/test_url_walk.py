"""The demo as a new user gets it without the official data answers no URL with a 500.

The test does what `make demo` does on a fresh machine without ../shared/data, in a state
directory of its own: migrate, `fetch-data --demo` (offline: it explains what is missing),
`load-demo` from the shipped fixtures, `verbund serve`. Then it walks every URL pattern of
the running server (values from the demo's own records, and values that do not exist) with
GET and with an empty POST, as anonymous visitor, citizen, clerk and Land operator.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.urls import URLPattern, URLResolver, get_resolver

from verbund.accounts import totp
from verbund.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

pytestmark = pytest.mark.slow

# Requests that would end the walk's own sessions or delete what later requests need.
NOT_POSTED = {
    "accounts:logout",
    "accounts:delete",
    "accounts:totp_remove",
    "accounts:passkey_remove",
    "accounts:identity_unlink",
    "oauth2_provider:rp-initiated-logout",
}
NOT_VISITED = {"accounts:logout", "oauth2_provider:rp-initiated-logout"}


def routes() -> Iterator[tuple[str, str]]:
    """(route, name) of every URL pattern, with namespaces."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), namespace + (p.name or "")

    yield from walk(get_resolver().url_patterns, "", "")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "verbund", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, (
        f"verbund {args[0]}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("fresh-demo")
    empty = base / "no-data"
    empty.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("VERBUND_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "verbund.settings.test",
        "VERBUND_STATE_DIR": str(base / "var"),
        "VERBUND_DATA_DIR": str(empty),
        "VERBUND_PAYMENT_PROVIDER": "test",
    }
    run(["migrate", "--noinput", "-v0"], env)
    offline = run(["fetch-data", "--demo", "--from", str(base / "no-mirror"), "-v0"], env)
    loaded = run(["load-demo"], env)
    port = free_port()
    log = (base / "serve.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "verbund",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--timeout",
            "120",
            # /healthz answers 200 only with a live task worker, as in `make demo`.
            "--with-worker",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                # Up, with every check passing except the e-invoice rules this demo lacks.
                health = requests.get(f"{url}/healthz", timeout=5).json()
                if set(health["failed"]) <= {"einvoice_rules"}:
                    break
                time.sleep(0.3)
            except requests.RequestException:
                time.sleep(0.3)
        else:
            raise AssertionError((base / "serve.log").read_text()[-3000:])
        yield {
            "url": url,
            "db": base / "var" / "verbund.sqlite3",
            "offline": offline,
            "loaded": loaded,
            "log": base / "serve.log",
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def values(db: Path) -> dict[str, list[str]]:
    """Candidate values per URL parameter name: the demo's own records first, then values
    that exist nowhere."""
    con = sqlite3.connect(db)

    def column(sql: str) -> list[str]:
        return [str(row[0]) for row in con.execute(sql).fetchall()]

    def uuids(sql: str) -> list[str]:
        return [str(uuid.UUID(v)) for v in column(sql)]

    nobody = str(uuid.uuid4())
    found = {
        "slug": column(
            "SELECT slug FROM catalogue_service WHERE slug IN "
            "('wohnsitz-anmelden', 'hundesteuer-anmelden') ORDER BY slug"
        )
        + column("SELECT slug FROM authorities_authority WHERE name = 'Stadtverwaltung Erfurt'")
        + column("SELECT slug FROM catalogue_lebenslage ORDER BY id LIMIT 1"),
        "number": column(
            "SELECT vorgangsnummer FROM applications_submission ORDER BY created_at LIMIT 1"
        ),
        "pk": ["1", *uuids("SELECT id FROM mailbox_message LIMIT 1")],
        "attachment_id": uuids("SELECT id FROM mailbox_messageattachment LIMIT 1")
        + uuids("SELECT id FROM applications_submissionattachment LIMIT 1"),
        "decision_id": column("SELECT id FROM casework_decision LIMIT 1"),
        "draft_id": uuids("SELECT id FROM applications_draft LIMIT 1"),
        "invoice_id": uuids("SELECT id FROM einvoices_invoice LIMIT 1"),
        "authority_id": column("SELECT slug FROM authorities_authority ORDER BY id LIMIT 1"),
        "ags": ["16051000"],
        "key": ["16051"],
        "verb": ["uebernehmen"],
        "step": ["1"],
        "request_id": column("SELECT request_id FROM applications_payment LIMIT 1"),
    }
    con.close()
    dummies = {"pk": ["99999", nobody], "step": ["99"], "decision_id": ["99999"]}
    return {
        name: found.get(name, [])[:3]
        + dummies.get(name, [nobody if "id" in name else "gibt-es-nicht"])
        for name in {*found, *dummies}
    }


PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def urls_of(route: str, candidates: dict[str, list[str]]) -> list[str]:
    if route.startswith("^"):  # regular expressions: only those without groups
        if "(?P" in route:
            return []
        return ["/" + route.strip("^$").replace("/?", "/").replace("\\.", ".")]
    names = PARAMETER.findall(route)
    if not names:
        return ["/" + route]
    options = [candidates.get(name) or ["gibt-es-nicht"] for _, name in names]
    urls = []
    for combination in itertools.islice(itertools.product(*options), 12):
        path = route
        for value in combination:
            path = PARAMETER.sub(value, path, count=1)
        urls.append("/" + path)
    return urls


def log_in(base: str, login: str, second_factor: bool) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/konto/anmelden/")
    response = session.post(
        f"{base}/konto/anmelden/",
        data={
            "login": login,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:2000]
    if second_factor:
        response = session.post(
            f"{base}/konto/zweiter-faktor/",
            data={
                "code": totp.current_code(DEMO_TOTP_SECRET),
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:2000]
    return session


def test_every_url_of_the_fresh_demo_without_data_answers_without_a_server_error(demo) -> None:
    base = demo["url"]
    # the offline demo says in one paragraph what is missing and the one command that adds it
    assert "Die amtlichen Daten fehlen" in demo["offline"]
    assert "`.venv/bin/verbund fetch-data`" in demo["offline"]
    assert "Gemeinden" in demo["loaded"]

    candidates = values(demo["db"])
    anonymous = requests.Session()
    anonymous.get(f"{base}/konto/anmelden/")
    actors = {
        "anonym": anonymous,
        "buergerin": log_in(base, "erika.mustermann@demo.verbund.invalid", second_factor=False),
        "sachbearbeitung": log_in(base, "sb.erfurt", second_factor=True),
        "land": log_in(base, "betrieb.land", second_factor=True),
    }
    plan = [
        (name, url)
        for route, name in routes()
        if name not in NOT_VISITED
        for url in urls_of(route, candidates)
    ]
    assert len(plan) > 300
    failures = []
    requests_made = 0
    for actor, session in actors.items():
        for name, url in plan:
            methods = ["GET"] if name in NOT_POSTED or "/delete/" in url else ["GET", "POST"]
            for method in methods:
                data = {"csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
                try:
                    response = session.request(
                        method,
                        base + url,
                        data=data if method == "POST" else None,
                        allow_redirects=False,
                        timeout=120,
                    )
                except requests.RequestException as exc:
                    failures.append(f"{actor} {method} {url} ({name}): {exc.__class__.__name__}")
                    continue
                requests_made += 1
                if response.status_code >= 500 and response.status_code != 503:
                    failures.append(f"{actor} {method} {url} ({name}): {response.status_code}")
    assert not failures, "\n".join(failures)
    assert requests_made > 2000
