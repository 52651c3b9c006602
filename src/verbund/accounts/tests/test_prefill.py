"""Once-only prefill: profile values reach a form only with the holder's consent for that
one use, and the form learns which values came from the profile."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from verbund.accounts import actions
from verbund.accounts.models import PrefillConsent
from verbund.accounts.tests.conftest import log_in
from verbund.core.errors import InvalidInput

pytestmark = pytest.mark.django_db

CONSENT_URL = "/konto/einwilligung/vorausfuellen/"
QUERY = {
    "fields": "given_name,family_name,birth_date,city",
    "purpose": "Antrag: Hund anmelden (Hundesteuer)",
    "next": "/antraege/hundesteuer/",
}


def _consent(client, chosen: list[str]) -> str:
    response = client.post(CONSENT_URL, {**QUERY, "field": chosen})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/antraege/hundesteuer/"
    return parse_qs(target.query)["prefill_consent"][0]


def test_consent_page_shows_what_would_be_released(client, citizen):
    log_in(client, citizen.email)
    page = client.get(CONSENT_URL, QUERY)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Antrag: Hund anmelden (Hundesteuer)" in body
    assert "Vorname: Anna" in body and "Ort: Erfurt" in body
    assert "nicht hinterlegt" in body  # no birth date in the profile


def test_prefill_releases_only_the_consented_fields_once(client, citizen):
    log_in(client, citizen.email)
    token = _consent(client, ["given_name", "family_name"])
    # when the applications module asks for more than was consented
    prefill = actions.prefill_for(
        user=citizen, fields=["given_name", "family_name", "city"], consent_token=token
    )
    # then it gets only the consented values, marked as coming from the profile
    assert prefill.values == {"given_name": "Anna", "family_name": "Schmidt"}
    assert prefill.from_profile == {"given_name", "family_name"}
    # and the consent is used up: the next form must ask again
    with pytest.raises(InvalidInput) as refused:
        actions.prefill_for(user=citizen, fields=["given_name"], consent_token=token)
    assert refused.value.code == "prefill_consent_required"


def test_a_consent_belongs_to_its_holder_and_expires(client, citizen, staff):
    log_in(client, citizen.email)
    token = _consent(client, ["city"])
    with pytest.raises(InvalidInput):
        actions.prefill_for(user=staff, fields=["city"], consent_token=token)
    PrefillConsent.objects.filter(token=token).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(InvalidInput):
        actions.prefill_for(user=citizen, fields=["city"], consent_token=token)


def test_declining_returns_without_a_consent(client, citizen):
    log_in(client, citizen.email)
    response = client.post(CONSENT_URL, {**QUERY, "decline": "1"})
    assert response["Location"] == "/antraege/hundesteuer/"
    assert not PrefillConsent.objects.filter(user=citizen).exists()


def test_consent_page_refuses_foreign_redirect_targets(client, citizen):
    log_in(client, citizen.email)
    response = client.post(
        CONSENT_URL, {**QUERY, "next": "https://evil.example.org/", "field": ["city"]}
    )
    assert response["Location"].startswith("/konto/?prefill_consent=")


def test_prefill_needs_login(client):
    response = client.get(CONSENT_URL, QUERY)
    assert response.status_code == 302 and response["Location"].startswith("/konto/anmelden/")


def test_birth_date_is_prefilled_as_a_date(client, citizen):
    actions.update_profile(user=citizen, actor=citizen, birth_date=datetime.date(1990, 12, 24))
    log_in(client, citizen.email)
    token = _consent(client, ["birth_date"])
    prefill = actions.prefill_for(user=citizen, fields=["birth_date"], consent_token=token)
    assert prefill.values == {"birth_date": datetime.date(1990, 12, 24)}


def test_prefill_carries_the_trust_level_of_this_session_not_the_best_ever(client, citizen):
    # given an account that once logged in with the eID card (trust level high)
    citizen.trust_level = "high"
    citizen.save(update_fields=["trust_level"])
    # when it now logs in with its password and consents to a prefill
    log_in(client, citizen.email)
    page = client.get(CONSENT_URL, QUERY).content.decode()
    assert 'data-session-trust-level="basic"' in page
    token = _consent(client, ["given_name"])
    prefill = actions.prefill_for(user=citizen, fields=["given_name"], consent_token=token)
    # then the released values are only as proven as this password login
    assert prefill.trust_level == "basic"
