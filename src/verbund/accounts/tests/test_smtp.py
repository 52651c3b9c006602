"""The verification mail travels through a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
import re
import socket

import pytest
from aiosmtpd.controller import Controller

from verbund.accounts.models import User
from verbund.accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    try:
        yield inbox
    finally:
        controller.stop()


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
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "post@example.org"
    assert "Verbund" in message["From"]
    body = message.get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/konto/bestaetigen/\S+)", body).group(1)
    assert client.get(link).status_code == 302
    assert User.objects.get(email="post@example.org").email_verified_at is not None
