"""A stalling specialist system no longer holds the citizen's submission (issue 11,
finding 3): the submission answers at once, and a real `verbund worker` process delivers
the webhook afterwards."""

from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from verbund.applications.tests.test_api import DEST, announce, key_of
from verbund.applications.tests.test_hardening import sealed_body
from verbund.authorities.models import Authority
from verbund.casework import actions
from verbund.core.models import AuditEntry
from verbund.core.tests.test_tasks import start_worker, wait_for

STALL = 4.0  # seconds the endpoint waits before it answers (longer than the 2 s promised)


@pytest.fixture
def stalling_receiver():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(STALL)
            received.append({"body": body, "headers": dict(self.headers)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_submission_answers_at_once_while_the_webhook_stalls_and_a_worker_delivers_it(
    client, stalling_receiver
):
    call_command("load-demo", stdout=io.StringIO())  # transactional tests start empty
    url, received = stalling_receiver
    authority = Authority.objects.get(slug=DEST)
    actions.configure_webhook(authority=authority, url=url, actor="test")
    jwk = key_of(client)
    submission_id = announce(client, [], key="stall-1").json()["submissionId"]
    # when: the applicant completes the submission
    started = time.monotonic()
    response = client.put(
        f"/api/v1/submissions/{submission_id}",
        json.dumps(sealed_body(jwk)),
        content_type="application/json",
    )
    elapsed = time.monotonic() - started
    # then: the receipt comes back without waiting for the specialist system
    assert response.status_code == 200 and response.json()["accessCode"]
    assert elapsed < 2.0, elapsed
    assert received == []
    task = DBTaskResult.objects.get(task_path="verbund.casework.tasks.deliver_webhook")
    assert task.status == TaskResultStatus.READY
    # and a real worker process delivers the notice once
    worker = start_worker()
    try:
        assert wait_for(
            lambda: AuditEntry.objects.filter(
                action="casework.webhook_sent", object_id=submission_id
            ).exists()
        )
        assert wait_for(
            lambda: DBTaskResult.objects.get(id=task.id).status == TaskResultStatus.SUCCESSFUL
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert len(received) == 1
    payload = json.loads(received[0]["body"])
    assert payload["vorgangsnummer"] == response.json()["vorgangsnummer"]
    assert received[0]["headers"]["X-Verbund-Delivery"]
