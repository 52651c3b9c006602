"""Hand-off to the specialist system: the signed webhook reaches a real HTTP server started
here, the export (JSON, XML) carries the sealed data, and the API key sets the status and
uploads the Bescheid, only for its own authority's cases."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from xml.etree import ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from verbund.applications.models import Submission
from verbund.applications.tests.conftest import PDF
from verbund.casework import actions, rules
from verbund.casework.tests.factories import submit_hundesteuer
from verbund.core import tasks
from verbund.core.models import AuditEntry
from verbund.mailbox.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"body": body, "headers": dict(self.headers)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def test_new_case_sends_a_signed_webhook(own, receiver):
    url, received = receiver
    _handoff, secret = actions.configure_webhook(authority=own, url=url, actor="test")
    case = submit_hundesteuer(family="Hook")
    assert received == []  # not inside the submission: the worker sends it
    assert tasks.run_pending() == 1
    assert tasks.run_pending() == 0  # sent once
    assert len(received) == 1
    body, headers = received[0]["body"], received[0]["headers"]
    payload = json.loads(body)
    assert payload["vorgangsnummer"] == case.submission.vorgangsnummer
    assert "Hook" not in body.decode()  # no personal data in the notice
    expected = rules.sign_webhook(body, secret, headers["X-Verbund-Timestamp"])
    assert headers["X-Verbund-Signature"] == expected
    assert rules.sign_webhook(body, "wrong", headers["X-Verbund-Timestamp"]) != expected
    assert AuditEntry.objects.filter(action="casework.webhook_sent", object_id=str(case.pk))


def test_unreachable_webhook_is_audited_retried_and_keeps_the_case(own):
    actions.configure_webhook(authority=own, url="http://127.0.0.1:9/none", actor="test")
    case = submit_hundesteuer(family="Fail")
    assert tasks.run_pending() == 1
    assert Submission.objects.filter(pk=case.pk).exists()
    assert AuditEntry.objects.filter(action="casework.webhook_failed", object_id=str(case.pk))
    task = DBTaskResult.objects.get(task_path="verbund.casework.tasks.deliver_webhook")
    assert task.status == TaskResultStatus.READY and task.run_after > timezone.now()


def test_specialist_system_exports_sets_status_and_uploads_the_decision(client, own, foreign):
    case = submit_hundesteuer(family="Fach")
    number = case.submission.vorgangsnummer
    key = actions.issue_api_key(authority=own, actor="test")
    foreign_key = actions.issue_api_key(authority=foreign, actor="test")
    base = f"/api/v1/casework/fachverfahren/vorgaenge/{number}"
    exported = client.get(base, HTTP_X_API_KEY=key).json()
    assert exported["vorgangsnummer"] == number
    assert exported["encryptedData"].count(".") == 4  # JWE compact: still sealed
    xml = ET.fromstring(client.get(f"{base}/xml", HTTP_X_API_KEY=key).content)
    assert xml.findtext("{urn:verbund:casework:export:1}vorgangsnummer") in (number, None)
    assert number.encode() in ET.tostring(xml)
    assert client.get(base, HTTP_X_API_KEY=foreign_key).status_code == 404
    assert client.get(base, HTTP_X_API_KEY="vbk_wrong").status_code == 401
    response = client.post(
        f"{base}/status",
        {"status": "decided"},
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )
    assert response.status_code == 422 and response.json()["code"] == "status_not_settable"
    response = client.post(
        f"{base}/status",
        {"status": "in_progress"},
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )
    assert response.json()["status"] == "in_progress"
    response = client.post(
        f"{base}/bescheid",
        {"outcome": "granted", "pdf": SimpleUploadedFile("b.pdf", PDF, "application/pdf")},
        HTTP_X_API_KEY=key,
    )
    assert response.status_code == 200, response.content
    assert Submission.objects.get(pk=case.pk).status == "decided"
    assert Message.objects.filter(submission_id=case.pk, kind="bescheid").exists()
    response = client.post(
        f"{base}/status",
        {"status": "in_progress"},
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )
    assert response.status_code == 409
