"""Actors of the Servicekonto tests, built through the actions like real accounts."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from verbund.accounts import actions, totp
from verbund.accounts.models import User
from verbund.core import tasks

PASSWORD = "Sicheres-Passwort-42"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def citizen(db) -> User:
    return actions.upsert_account(
        username="anna.schmidt@example.org",
        email="anna.schmidt@example.org",
        kind=User.Kind.CITIZEN,
        actor="test",
        password=PASSWORD,
        profile={"given_name": "Anna", "family_name": "Schmidt", "city": "Erfurt"},
    )


@pytest.fixture
def staff(db) -> User:
    return actions.upsert_account(
        username="sb.test",
        email="sb.test@behoerde.example.org",
        kind=User.Kind.STAFF,
        actor="test",
        password=PASSWORD,
        totp_secret=TOTP_SECRET,
    )


@pytest.fixture
def staff_without_factor(db) -> User:
    return actions.upsert_account(
        username="neu.test",
        email="neu.test@behoerde.example.org",
        kind=User.Kind.STAFF,
        actor="test",
        password=PASSWORD,
    )


def log_in(client: Client, login: str, password: str = PASSWORD, **extra):
    return client.post("/konto/anmelden/", {"login": login, "password": password, **extra})


def pass_totp(client: Client, secret: str = TOTP_SECRET, *, at: float | None = None):
    return client.post("/konto/zweiter-faktor/", {"code": totp.current_code(secret, at=at)})


@pytest.fixture
def staff_client(client: Client, staff: User) -> Client:
    """A staff session with the second factor verified."""
    log_in(client, "sb.test")
    response = pass_totp(client)
    assert response.status_code == 302
    return client


def run_mail_worker() -> list[mail.EmailMessage]:
    """Run the queued tasks as `verbund worker` does; the mails it sent."""
    tasks.run_pending()
    return list(mail.outbox)


def link_in_last_mail(pattern: str = r"http://testserver/\S+") -> str:
    run_mail_worker()
    assert mail.outbox, "no mail was sent"
    match = re.search(pattern, mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0).removeprefix("http://testserver")
