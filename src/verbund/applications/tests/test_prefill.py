"""Prefill from the Servicekonto: offered to a logged-in holder when a form starts, used
only with a consent for this one use, and marked in the form and the summary in words."""

from __future__ import annotations

import datetime
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from verbund.accounts import actions as account_actions
from verbund.accounts.models import PrefillConsent, User
from verbund.accounts.tests.conftest import PASSWORD, log_in
from verbund.applications.models import Draft
from verbund.applications.tests.conftest import PDF
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db

START = "/leistungen/wohnsitz-anmelden/antrag/"
MARK = "Aus Ihrem Servicekonto übernommen"


@pytest.fixture
def holder(db) -> User:
    return account_actions.upsert_account(
        username="lena.vogt@example.org",
        email="lena.vogt@example.org",
        kind=User.Kind.CITIZEN,
        actor="test",
        password=PASSWORD,
        profile={
            "given_name": "Lena",
            "family_name": "Vogt",
            "birth_date": datetime.date(1990, 5, 17),
            "street": "Anger 5",
            "postal_code": "99084",
            "city": "Erfurt",
        },
    )


def _offer_url(client) -> str:
    page = client.get(START, {"ags": "16051000"}).content.decode()
    match = re.search(r'href="(/konto/einwilligung/vorausfuellen/\?[^"]+)"', page)
    assert match, "the start page offers prefill to a logged-in holder"
    return html.unescape(match.group(1))


def _consent(client, chosen: list[str]) -> str:
    offer = urlsplit(_offer_url(client))
    query = {k: v[0] for k, v in parse_qs(offer.query).items()}
    assert set(query["fields"].split(",")) == {
        "given_name",
        "family_name",
        "birth_date",
        "street",
        "postal_code",
        "city",
    }
    assert "Wohnsitz" in query["purpose"] or "Wohn" in query["purpose"]
    response = client.post(offer.path, {**query, "field": chosen, "consent": "1"})
    assert response.status_code == 302
    back = urlsplit(response["Location"])
    assert back.path == START and parse_qs(back.query)["ags"] == ["16051000"]
    return parse_qs(back.query)["prefill_consent"][0]


def _begin(client, token: str = ""):
    data = {"ags": "16051000", "begin": "1"}
    if token:
        data["prefill_consent"] = token
    return client.post(START, data)


def test_anonymous_applicants_get_no_offer(client):
    page = client.get(START, {"ags": "16051000"}).content.decode()
    assert "Antrag beginnen" in page and "einwilligung/vorausfuellen" not in page


def test_without_consent_nothing_is_taken_over(client, holder):
    log_in(client, holder.email)
    assert _begin(client).status_code == 302
    draft = Draft.objects.get(owner=holder)
    assert "Vogt" not in str(draft.data) and draft.prefilled == {}
    step3 = client.get(f"/antrag/{draft.pk}/schritt/3/").content.decode()
    assert MARK not in step3


def test_consented_values_are_prefilled_once_and_marked(client, holder):
    log_in(client, holder.email)
    token = _consent(
        client, ["given_name", "family_name", "birth_date", "street", "postal_code", "city"]
    )
    page = client.get(START, {"ags": "16051000", "prefill_consent": token}).content.decode()
    assert "Sie haben eingewilligt" in page and f'value="{token}"' in page
    response = _begin(client, token)
    assert response.status_code == 302
    draft = Draft.objects.get(owner=holder)
    assert draft.data["personen"][0] == {
        "familienname": "Vogt",
        "vornamen": "Lena",
        "geburtsdatum": "1990-05-17",
    }
    assert draft.data["bisher_strasse"] == "Anger 5" and draft.data["bisher_ort"] == "Erfurt"
    assert draft.data["gemeinde"] == "Erfurt"  # the place still comes from the platform
    assert PrefillConsent.objects.get(token=token).used_at is not None
    audit = AuditEntry.objects.get(action="application.draft_started", object_id=str(draft.pk))
    assert "personen.0.familienname" in audit.details["prefilled_from_account"]
    assert "Vogt" not in str(audit.details)

    base = response["Location"].rsplit("/schritt/", 1)[0]
    step2 = client.get(f"{base}/schritt/2/").content.decode()
    assert step2.count(MARK) == 3
    assert 'aria-describedby="id-f-bisher_strasse-profile"' in step2
    step3 = client.get(f"{base}/schritt/3/").content.decode()
    assert 'id="id-f-personen-0-familienname-profile"' in step3 and 'value="Vogt"' in step3

    # the same consent cannot prefill a second form
    client.get("/konto/abmelden/")
    log_in(client, holder.email)
    again = _begin(client, token)
    assert again.status_code == 422
    assert "bereits verwendet" in again.content.decode() or "schon verwendet" in (
        again.content.decode()
    )
    assert Draft.objects.filter(owner=holder).count() == 1


def test_summary_marks_only_values_left_as_taken_over(client, holder):
    log_in(client, holder.email)
    token = _consent(client, ["given_name", "family_name", "street", "postal_code", "city"])
    base = _begin(client, token)["Location"].rsplit("/schritt/", 1)[0]
    today = datetime.date.today().isoformat()
    pages = [
        {
            "f-strasse": "Domplatz",
            "f-hausnummer": "1",
            "f-plz": "99084",
            "f-einzugsdatum": today,
            "f-wohnungsart": "alleinige",
        },
        {
            "f-bisher_strasse": "Anger 5",  # unchanged
            "f-bisher_plz": "99084",
            "f-bisher_ort": "Erfurt",
            "f-bisher_beibehalten": "false",
        },
        {
            "n-f-personen": "1",
            "f-personen-0-familienname": "Vogt",  # unchanged
            "f-personen-0-vornamen": "Lena Marie",  # changed by the applicant
            "f-personen-0-geburtsdatum": "1990-05-17",  # typed, not taken over
            "f-personen-0-geschlecht": "w",
            "f-personen-0-verheiratet": "false",
        },
        {
            "f-wohnungsgeberbestaetigung": SimpleUploadedFile("wgb.pdf", PDF),
            "f-kontakt_email": "lena@example.org",
        },
    ]
    for number, data in enumerate(pages, start=1):
        response = client.post(f"{base}/schritt/{number}/", {**data, "action": "next"})
        assert response.status_code == 302, response.content.decode()[:2000]
    summary = client.get(response["Location"]).content.decode()
    marks = summary.count("aus Ihrem Servicekonto übernommen")
    assert marks == 4  # Straße, PLZ, Ort of the former address and the family name
    row = re.search(r"Vornamen</dt><dd[^>]*>([^<]*)", summary)
    assert row and row.group(1).strip() == "Lena Marie"
    assert not re.search(r"Lena Marie <span", summary)
