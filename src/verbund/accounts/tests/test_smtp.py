"""Account mails are queued and sent by the worker through a real SMTP server (aiosmtpd)
on loopback, never inside the request."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from verbund.accounts.models import User
from verbund.accounts.tests.conftest import PASSWORD
from verbund.core import tasks

pytestmark = pytest.mark.django_db


def test_verification_mail_arrives_through_smtp(
    client, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/konto/registrieren/",
            {
                "email": "post@example.org",
                "password": PASSWORD,
                "password_again": PASSWORD,
            },
        )
    assert smtp_server.messages == []  # queued in the transaction, not sent by the request
    assert tasks.run_pending() == 1  # the worker's code sends it
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "post@example.org"
    assert "Verbund" in message["From"]
    body = message.get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/konto/bestaetigen/\S+)", body).group(1)
    assert client.get(link).status_code == 302
    assert User.objects.get(email="post@example.org").email_verified_at is not None


def test_a_password_reset_mail_is_sent_by_the_worker_and_survives_a_failed_attempt(
    client, citizen, smtp_server, settings, django_capture_on_commit_callbacks
):
    # given: the mail server is down when the worker first tries
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # discard: nothing listens
    settings.EMAIL_TIMEOUT = 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/konto/passwort-vergessen/", {"email": citizen.email})
    assert response.status_code == 200 and smtp_server.messages == []
    assert tasks.run_pending() == 1
    assert smtp_server.messages == []
    # when: the server is back and the retry is due
    settings.EMAIL_PORT = port
    task = DBTaskResult.objects.get(task_path="verbund.integrations.mail.deliver_mail")
    assert task.status == TaskResultStatus.READY  # to be tried again
    DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now())
    assert tasks.run_pending() == 1
    # then: exactly one reset mail with its link
    assert [m["To"] for m in smtp_server.messages] == [citizen.email]
    assert "/konto/passwort-neu/" in smtp_server.messages[0].get_payload(decode=True).decode()
