"""Several app servers and a worker share nothing but the database and the object storage.

Two `verbund serve` processes (A and B, each with a state directory of its own, so nothing on
the local disk is shared) and one `verbund worker` run against the test database (PostgreSQL
in CI's second run) and one S3 server. An application goes from its submission on A to the
decision on B; the specialist system's webhook arrives; the applicant reads the Bescheid in
the Postfach on A. A login made on B is valid on A, and wrong access codes count across both.
"""

from __future__ import annotations

import datetime
import http.server
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from verbund.accounts import totp
from verbund.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from verbund.applications.models import Submission
from verbund.applications.tests.conftest import PDF
from verbund.authorities.models import Authority
from verbund.casework import actions as casework
from verbund.casework import rules as casework_rules
from verbund.core import encryption
from verbund.core.models import WorkerHeartbeat
from verbund.mailbox.models import Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebhookReceiver:
    """The authority's specialist system: records every POST it gets."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {
                        "raw": body,
                        "body": json.loads(body),
                        "signature": self.headers["X-Verbund-Signature"],
                        "timestamp": self.headers["X-Verbund-Timestamp"],
                    }
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform(s3_server: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Servers A and B and a worker, sharing the test database and the S3 bucket."""
    call_command("load-demo", stdout=io.StringIO())  # transactional tests start empty
    prefix = f"deploy{os.getpid()}"
    storage = s3_server.replace("s3://verbund/test", f"s3://verbund/{prefix}")
    common = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "verbund.settings.test",
        "DATABASE_URL": database_url(),
        # The keys every app server of one installation shares (docs/deployment.md).
        "SECRET_KEY": settings.SECRET_KEY,
        "VERBUND_PROFILE_ENCRYPTION_KEYS": ",".join(
            settings.VERBUND_PROFILE_ENCRYPTION_KEYS or [encryption._state_key()]
        ),
        "VERBUND_STORAGE": storage,
        "VERBUND_CLAMD": "",
        "VERBUND_FINDER_CACHE_SECONDS": "0",
    }
    processes: list[subprocess.Popen[bytes]] = []
    urls = {}
    logs = {}
    for name in ("a", "b"):
        port = free_port()
        state = tmp_path / f"state-{name}"
        logs[name] = (tmp_path / f"{name}.log").open("wb")
        processes.append(
            subprocess.Popen(
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
                ],
                env={**common, "VERBUND_STATE_DIR": str(state)},
                stdout=logs[name],
                stderr=subprocess.STDOUT,
            )
        )
        urls[name] = f"http://127.0.0.1:{port}"
    logs["worker"] = (tmp_path / "worker.log").open("wb")
    processes.append(
        subprocess.Popen(
            [sys.executable, "-m", "verbund", "worker", "--interval", "0.2"],
            env={**common, "VERBUND_STATE_DIR": str(tmp_path / "state-worker")},
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        )
    )
    try:
        for name, url in urls.items():
            wait_for(lambda url=url: healthy(url), 120, f"server {name} did not start")
        yield {"a": urls["a"], "b": urls["b"], "storage": storage, "logs": tmp_path}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()


def healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def wait_for(condition, seconds: float, message: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(message)


class Browser:
    """A person's browser against one server: cookies, and the CSRF token in every form."""

    def __init__(self, base: str, session: requests.Session | None = None) -> None:
        self.base = base
        self.http = session or requests.Session()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=120, **kwargs)

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> requests.Response:
        if "csrftoken" not in self.http.cookies:
            self.get(path)
        data = {**data, "csrfmiddlewaretoken": self.http.cookies.get("csrftoken", "")}
        return self.http.post(
            self.base + path, data=data, allow_redirects=False, timeout=120, **kwargs
        )

    def on(self, base: str) -> Browser:
        """The same browser (same cookies) talking to another server."""
        return Browser(base, self.http)


def apply_for_wohnsitz(applicant: Browser) -> tuple[str, str]:
    """The citizen's path through the HTML forms; returns (Vorgangsnummer, Zugangscode)."""
    applicant.get("/leistungen/wohnsitz-anmelden/antrag/")
    response = applicant.post(
        "/leistungen/wohnsitz-anmelden/antrag/", {"ags": "16051000", "begin": "1"}
    )
    assert response.status_code == 302, response.text[:2000]
    base = response.headers["Location"].rsplit("/schritt/", 1)[0]
    today = datetime.date.today().isoformat()
    pages: list[tuple[dict[str, str], dict[str, Any]]] = [
        (
            {
                "f-strasse": "Anger",
                "f-hausnummer": "1",
                "f-plz": "99084",
                "f-einzugsdatum": today,
                "f-wohnungsart": "alleinige",
            },
            {},
        ),
        (
            {
                "f-bisher_strasse": "Hauptstraße 5",
                "f-bisher_plz": "07743",
                "f-bisher_ort": "Jena",
                "f-bisher_beibehalten": "false",
            },
            {},
        ),
        (
            {
                "n-f-personen": "1",
                "f-personen-0-familienname": "Muster",
                "f-personen-0-vornamen": "Erika",
                "f-personen-0-geburtsdatum": "1985-03-01",
                "f-personen-0-geschlecht": "w",
                "f-personen-0-verheiratet": "false",
            },
            {},
        ),
        (
            {"f-kontakt_email": "erika@example.org"},
            {"f-wohnungsgeberbestaetigung": ("wgb.pdf", PDF, "application/pdf")},
        ),
    ]
    for number, (data, files) in enumerate(pages, start=1):
        response = applicant.post(
            f"{base}/schritt/{number}/", {**data, "action": "next"}, files=files or None
        )
        assert response.status_code == 302, response.text[:3000]
    response = applicant.post(response.headers["Location"], {"consent": "1"})
    assert response.status_code == 302, response.text[:3000]
    receipt = applicant.get(response.headers["Location"]).text
    number = re.search(r'<strong id="vorgangsnummer">([^<]+)<', receipt)
    code = re.search(r'<code id="zugangscode">([^<]+)<', receipt)
    assert number and code, receipt[:3000]
    return number[1].strip(), code[1].strip()


def log_in_clerk(clerk: Browser) -> None:
    response = clerk.post("/konto/anmelden/", {"login": "sb.erfurt", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and "zweiter-faktor" in response.headers["Location"]
    response = clerk.post("/konto/zweiter-faktor/", {"code": totp.current_code(DEMO_TOTP_SECRET)})
    assert response.status_code == 302, response.text[:2000]


def open_postfach(applicant: Browser, number: str, code: str) -> requests.Response:
    return applicant.post("/postfach/vorgang/", {"vorgangsnummer": number, "zugangscode": code})


def bucket_keys(storage: str, kind: str) -> list[str]:
    bucket_prefix, query = storage.removeprefix("s3://").split("?", 1)
    bucket, prefix = bucket_prefix.split("/", 1)
    client = boto3.client("s3", endpoint_url=query.removeprefix("endpoint_url="))
    listing = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/{kind}/")
    return [item["Key"] for item in listing.get("Contents", [])]


def test_an_application_runs_across_two_app_servers_and_a_worker(platform, settings) -> None:
    a, b = platform["a"], platform["b"]
    # given: the Stadtverwaltung Erfurt has a specialist system that wants new cases
    receiver = WebhookReceiver()
    try:
        erfurt = Authority.objects.get(name="Stadtverwaltung Erfurt")
        _handoff, secret = casework.configure_webhook(
            authority=erfurt, url=receiver.url, actor="test"
        )

        # when: a citizen applies on server A (with an attachment)
        applicant = Browser(a)
        number, code = apply_for_wohnsitz(applicant)

        # then: the case is in the shared database, its attachment an object in S3
        submission = Submission.objects.get(vorgangsnummer=number)
        assert submission.authority_id == erfurt.pk
        attachment = submission.attachments.get()
        assert any(
            k.endswith(attachment.storage_name)
            for k in bucket_keys(platform["storage"], "attachments")
        )
        # and the specialist system hears of it, signed with its secret
        wait_for(
            lambda: any(r["body"]["vorgangsnummer"] == number for r in receiver.received),
            120,
            "no webhook for the new case",
        )
        notice = next(r for r in receiver.received if r["body"]["vorgangsnummer"] == number)
        assert notice["signature"] == casework_rules.sign_webhook(
            notice["raw"], secret, notice["timestamp"]
        )

        # when: a clerk logs in on server B, takes the case and decides it
        clerk = Browser(b)
        log_in_clerk(clerk)
        case_url = f"/sachbearbeitung/vorgang/{number}/"
        page = clerk.get(case_url)
        assert page.status_code == 200 and "Muster" in page.text
        assert clerk.post(f"{case_url}aktion/uebernehmen/", {}).status_code == 302
        decision = {
            "outcome": "granted",
            "addressee": "Erika Muster",
            "text": "Die Anmeldung ist eingetragen.",
        }
        preview = clerk.post(f"{case_url}aktion/entscheiden/", {**decision, "step": "preview"})
        assert preview.status_code == 200, preview.text[:2000]
        response = clerk.post(f"{case_url}aktion/entscheiden/", {**decision, "step": "confirm"})
        assert response.status_code == 302, response.text[:2000]
        submission.refresh_from_db()
        assert submission.status == "decided"

        # then: the login made on B is valid on A (sessions live in the database)
        assert clerk.on(a).get(case_url).status_code == 200

        # when: the applicant opens the anonymous Postfach on server A and reads the Bescheid
        response = open_postfach(applicant, number, code)
        assert response.status_code == 302, response.text[:2000]
        inbox = applicant.get(response.headers["Location"]).text
        bescheid = Message.objects.get(submission=submission, kind="bescheid")
        assert str(bescheid.pk) in inbox
        postfach = f"/postfach/vorgang/{number}/{bescheid.pk}/"
        message_page = applicant.get(postfach)
        assert message_page.status_code == 200, message_page.text[:2000]
        document = bescheid.attachments.get()
        download = applicant.get(f"{postfach}anhang/{document.pk}/")
        assert download.status_code == 200 and download.content.startswith(b"%PDF-")
        bescheid.refresh_from_db()
        assert bescheid.read_at is not None  # the read receipt the authority sees

        # then: wrong access codes count across the servers (the limit is 5 per number)
        stranger = Browser(a)
        for server in (a, a, a, b, b):
            assert open_postfach(stranger.on(server), number, "falsch-0000").status_code != 302
        assert open_postfach(Browser(a), number, code).status_code == 429

        # and the worker of this installation is alive on the same database
        assert WorkerHeartbeat.objects.exists()
    finally:
        receiver.close()
