"""The Land's editors maintain the districts of district offices in the Land console: a
change is proposed, approved by a second editor (four eyes), audited, and then answers in
the finder; bad input gives a German message, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from verbund.accounts.models import User
from verbund.catalogue.models import Service
from verbund.cooperation import actions
from verbund.cooperation.models import DistrictProposal, LandOperator
from verbund.core.errors import Conflict, InvalidInput
from verbund.core.models import AuditEntry
from verbund.finder.models import OfficeKind
from verbund.finder.resolution import Basis, Place, resolve

pytestmark = pytest.mark.django_db

MEININGEN = "16066042"


def grundbuch_at(ags: str):  # type: ignore[no-untyped-def]
    return resolve(service=Service.objects.get(slug="grundbuchauszug"), place=Place(ags=ags))


@pytest.fixture
def second(land) -> User:
    user = User.objects.create_user("t-operator-2", kind=User.Kind.OPERATOR)
    LandOperator.objects.create(user=user, land=land)
    return user


@pytest.fixture
def clients(operator, second, login_staff) -> tuple[Client, Client]:
    first_client, second_client = Client(), Client()
    login_staff(first_client, operator)
    login_staff(second_client, second)
    return first_client, second_client


def test_a_district_takes_effect_only_after_a_second_editor_approves(clients):
    editor, reviewer = clients
    # given: Meiningen has no Grundbuchamt district yet
    assert grundbuch_at(MEININGEN).basis == Basis.DISTRICT_UNKNOWN
    page = editor.get("/land/bezirke/grundbuchamt/").content.decode()
    assert "Amtsgericht Erfurt – Grundbuchamt" in page and "Demodaten" in page
    # when: the editor proposes the Kreis Schmalkalden-Meiningen for the Amtsgericht Jena
    response = editor.post(
        "/land/bezirke/grundbuchamt/vorschlag/",
        {"amt": "gba-jena", "gebiet": "16066", "begruendung": "Geschäftsverteilung 2027"},
    )
    assert response.status_code == 302
    proposal = DistrictProposal.objects.get()
    # then: nothing changes yet, and the editor cannot approve their own change
    assert grundbuch_at(MEININGEN).basis == Basis.DISTRICT_UNKNOWN
    editor.post(f"/land/bezirke/aenderungen/{proposal.pk}/", {"entscheidung": "freigeben"})
    proposal.refresh_from_db()
    assert proposal.state == "proposed"
    assert "Amtsgericht Jena – Grundbuchamt" in reviewer.get("/land/bezirke/").content.decode()
    # when: the second editor approves
    reviewer.post(f"/land/bezirke/aenderungen/{proposal.pk}/", {"entscheidung": "freigeben"})
    # then
    proposal.refresh_from_db()
    assert proposal.state == "approved" and proposal.reviewed_by.username == "t-operator-2"
    answer = grundbuch_at(MEININGEN)
    assert answer.authority.slug == "gba-jena" and answer.basis == Basis.DISTRICT_OFFICE
    actions_seen = set(
        AuditEntry.objects.filter(action__contains="district").values_list("action", flat=True)
    )
    assert {
        "cooperation.district_proposed",
        "cooperation.district_reviewed",
        "finder.district_created",
    } <= actions_seen


def test_ending_a_district_by_review_gives_the_plain_answer(land, operator, second):
    kind = OfficeKind.objects.get(slug="finanzamt")
    proposal = actions.propose_district(
        land=land,
        kind=kind,
        office_slug="fa-suhl",
        area="160660000000",
        valid_until=__import__("datetime").date(2020, 12, 31),
        reason="Bezirk aufgehoben",
        actor=operator,
    )
    with pytest.raises(Conflict):
        actions.review_district_proposal(proposal=proposal, approve=True, actor=operator)
    actions.review_district_proposal(proposal=proposal, approve=True, actor=second)
    answer = resolve(
        service=Service.objects.get(slug="einkommensteuererklaerung"), place=Place(ags=MEININGEN)
    )
    assert answer.basis == Basis.DISTRICT_UNKNOWN and answer.authority is None
    with pytest.raises(Conflict):  # decided once
        actions.review_district_proposal(proposal=proposal, approve=False, note="x", actor=second)


def test_a_rejection_needs_a_reason_and_changes_nothing(land, operator, second):
    kind = OfficeKind.objects.get(slug="grundbuchamt")
    proposal = actions.propose_district(
        land=land, kind=kind, office_slug="gba-jena", area=MEININGEN, reason="x", actor=operator
    )
    with pytest.raises(InvalidInput):
        actions.review_district_proposal(proposal=proposal, approve=False, actor=second)
    actions.review_district_proposal(
        proposal=proposal, approve=False, note="falsches Gericht", actor=second
    )
    assert grundbuch_at(MEININGEN).basis == Basis.DISTRICT_UNKNOWN


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amt": "gba-jena", "gebiet": "16", "begruendung": "x"}, "kein Gebiet"),
        ({"amt": "gba-jena", "gebiet": "160000000000", "begruendung": "x"}, "Kreisen"),
        ({"amt": "gibt-es-nicht", "gebiet": "16066", "begruendung": "x"}, "gibt es im Land nicht"),
        ({"amt": "gba-jena", "gebiet": "16066", "begruendung": ""}, "begründen"),
        ({"amt": "gba-jena", "gebiet": "16066", "begruendung": "x", "ab": "31.12."}, "kein Datum"),
        (
            {
                "amt": "gba-jena",
                "gebiet": "16066",
                "begruendung": "x",
                "ab": "2027-01-01",
                "bis": "2026-01-01",
            },
            "vor dem Beginn",
        ),
    ],
)
def test_bad_input_is_a_german_message(clients, data, message):
    editor, _reviewer = clients
    response = editor.post("/land/bezirke/grundbuchamt/vorschlag/", data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DistrictProposal.objects.exists()


def test_xzufi_download_of_a_kind(clients):
    editor, _reviewer = clients
    response = editor.get("/land/bezirke/finanzamt/xzufi.xml")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<xzufi:zustaendigkeit>") == 22
    assert "fa-muehlhausen" in body and "gba-erfurt" not in body


def test_unknown_kind_and_proposal_are_404(clients):
    editor, _reviewer = clients
    assert editor.get("/land/bezirke/gibt-es-nicht/").status_code == 404
    assert editor.post("/land/bezirke/aenderungen/999999/", {}).status_code == 404
