"""The verification mail travels through a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import re

import pytest

from verbund.accounts.models import User
from verbund.accounts.tests.conftest import PASSWORD

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
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "post@example.org"
    assert "Verbund" in message["From"]
    body = message.get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/konto/bestaetigen/\S+)", body).group(1)
    assert client.get(link).status_code == 302
    assert User.objects.get(email="post@example.org").email_verified_at is not None
