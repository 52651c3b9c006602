"""Actors and cases of the Postfach tests: real submissions through the HTML path (one by an
account holder, one anonymous), real RSA keys from the applications pool, attachments in a
temporary storage, and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from verbund.accounts import actions as account_actions
from verbund.accounts.account_data import account_template, use_account_template
from verbund.accounts.models import User
from verbund.accounts.tests.conftest import PASSWORD, log_in
from verbund.applications.models import Submission
from verbund.applications.tests.conftest import (  # noqa: F401  (fixtures)
    PDF,
    PNG,
    _attachment_storage,
    _key_pool,
    clamd_address,
)
from verbund.applications.tests.factories import fill_wohnsitz, start
from verbund.authorities.models import StaffMembership
from verbund.mailbox.models import Message


@dataclass
class Case:
    submission: Submission
    secret: str

    @property
    def number(self) -> str:
        return str(self.submission.vorgangsnummer)


def submit_case(client: Client) -> Case:
    summary = fill_wohnsitz(client, start(client))
    response = client.post(summary, {"consent": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    html = client.get(response["Location"]).content.decode()
    secret = html.split('<code id="zugangscode">')[1].split("<")[0]
    number = response["Location"].split("/")[2]
    submission = Submission.objects.get(vorgangsnummer=number)
    # An account holder's receipt lies in the Postfach from the start (issue 14, tested in
    # applications/tests/test_citizen_journeys.py); these tests count the authority's messages.
    Message.objects.filter(submission=submission, kind="info", sent_by__isnull=True).delete()
    return Case(submission, secret)


def make_citizen(username: str, given: str, family: str) -> User:
    return account_actions.upsert_account(
        username=username,
        email=username,
        kind=User.Kind.CITIZEN,
        actor="test",
        password=PASSWORD,
        profile={"given_name": given, "family_name": family, "city": "Erfurt"},
    )


@pytest.fixture
def holder(db) -> User:
    return make_citizen("hanna.beispiel@example.org", "Hanna", "Beispiel")


@pytest.fixture
def holder_client(holder: User) -> Client:
    client = Client()
    log_in(client, holder.email)
    return client


@pytest.fixture
def holder_case(holder_client: Client) -> Case:
    case = submit_case(holder_client)
    assert case.submission.applicant_id is not None
    return case


@pytest.fixture
def anonymous_case(db) -> Case:
    case = submit_case(Client())
    assert case.submission.applicant_id is None
    return case


@pytest.fixture
def clerk(holder_case: Case) -> User:
    """A clerk of the authority that received the case."""
    user = User.objects.create_user("sb.postfach.test", kind=User.Kind.STAFF)
    StaffMembership.objects.create(user=user, authority=holder_case.submission.authority)
    return user


@pytest.fixture(autouse=True)
def _status_monitor_on_account_page():
    # Another domain's test may switch the account template; the Postfach's stays in force.
    previous = account_template()
    use_account_template("mailbox/account.html")
    yield
    use_account_template(previous)
