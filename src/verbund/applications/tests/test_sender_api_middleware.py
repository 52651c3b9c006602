"""The sender API passes the page middleware by (verbund.middleware): no session, no login
state, no CSRF; what holds for every request still holds for it."""

import pytest

from verbund.accounts import actions
from verbund.accounts.models import User
from verbund.accounts.tests.conftest import PASSWORD, TOTP_SECRET, log_in
from verbund.middleware import SENDER_API_PATHS

pytestmark = pytest.mark.django_db
DEST = "stadtverwaltung-erfurt-16051000"


@pytest.fixture
def half_logged_in(client):
    """A staff session that entered the password but not yet the second factor."""
    actions.upsert_account(
        username="sb.halb",
        email="sb.halb@behoerde.example.org",
        kind=User.Kind.STAFF,
        actor="test",
        password=PASSWORD,
        totp_secret=TOTP_SECRET,
    )
    assert log_in(client, "sb.halb")["Location"].startswith("/konto/zweiter-faktor/")
    return client


def test_the_sender_api_does_not_consult_the_session(half_logged_in):
    # the staff API refuses the half-logged-in session, as every page does
    staff_api = half_logged_in.get("/api/v1/einvoices")
    assert staff_api.status_code == 403
    assert staff_api.json()["code"] == "second_factor_required"
    # the sender API answers as it answers every sender: the session plays no part
    response = half_logged_in.get(f"/api/v1/destinations/{DEST}")
    assert response.status_code == 200, response.content
    assert response.json()["destinationId"] == DEST
    assert response.wsgi_request.user.is_anonymous
    assert not hasattr(response.wsgi_request, "session")
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


def test_a_sender_without_a_csrf_token_can_post(client):
    # CSRF protects a browser's session; the sender API has none (and its views are exempt)
    strict = type(client)(enforce_csrf_checks=True)
    response = strict.post(
        "/api/v1/submissions", "{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 422  # refused for its body, not for CSRF
    assert response["Content-Type"] == "application/problem+json"


def test_the_rules_of_every_request_hold_for_the_sender_api(client):
    response = client.get(f"/api/v1/destinations/{DEST}")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src" in response["Content-Security-Policy"]
    # a NUL in the path is refused before any view, as everywhere
    refused = client.get(f"{SENDER_API_PATHS[1]}/x%00y")
    assert refused.status_code == 422 and refused.json()["code"] == "nul_character"
