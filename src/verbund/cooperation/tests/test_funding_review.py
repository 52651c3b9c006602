"""The funding programme after the application: reviewers see only their calls, requests
for more information, early start, joint applications, withdrawal, and the
Verwendungsnachweis that pays out and releases what lower costs leave over."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from verbund.accounts.models import User
from verbund.cooperation import actions, queries, rules
from verbund.cooperation.models import FundingReviewer, ProofOfUse
from verbund.core.errors import Conflict, InvalidInput
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _call(land, title: str):  # type: ignore[no-untyped-def]
    return actions.open_funding_call(
        land=land,
        title=title,
        year=2027,
        budget=Decimal("100000.00"),
        min_amount=Decimal("1000.00"),
        max_amount=Decimal("50000.00"),
        rate_percent=Decimal("80"),
        actor="test",
    )


def _apply(call, authority, title="E-Akte"):  # type: ignore[no-untyped-def]
    return actions.submit_funding_application(
        call=call,
        applicant=authority,
        title=title,
        eligible_costs=Decimal("12500.00"),
        requested_amount=Decimal("10000.00"),
        actor="test",
    )


@pytest.fixture
def reviewer(land) -> User:
    return User.objects.create_user("t-reviewer", kind=User.Kind.OPERATOR)


def test_reviewers_see_and_decide_only_their_call(land, own, foreign, reviewer, login_staff):
    # given: two calls, the reviewer assigned to the first
    mine, other = _call(land, "Aufruf A"), _call(land, "Aufruf B")
    FundingReviewer.objects.create(user=reviewer, call=mine)
    a = _apply(mine, own, "Vorhaben im Aufruf A")
    b = _apply(other, foreign, "Vorhaben im Aufruf B")
    client = Client()
    login_staff(client, reviewer)
    # when / then
    page = client.get("/land/pruefung/").content.decode()
    assert "Vorhaben im Aufruf A" in page and "Vorhaben im Aufruf B" not in page
    refused = client.post(f"/land/pruefung/antraege/{b.pk}/", {"schritt": "vorzeitig"})
    assert refused.status_code == 404
    assert client.get("/land/foerderung/").status_code == 404  # not an operator of the Land
    client.post(f"/land/pruefung/antraege/{a.pk}/", {"schritt": "bewilligen", "betrag": "10000"})
    a.refresh_from_db()
    assert a.status == rules.APPROVED and a.decided_by == reviewer
    # a reviewer without a call has no review page
    nobody = User.objects.create_user("t-nobody", kind=User.Kind.OPERATOR)
    other_client = Client()
    login_staff(other_client, nobody)
    assert other_client.get("/land/pruefung/").status_code == 404


def test_request_for_information_holds_the_decision_until_answered(
    land, own, operator, admin, login_staff
):
    application = _apply(_call(land, "Aufruf"), own)
    actions.request_funding_information(
        application=application, question="Bitte den Kostenplan nachreichen.", actor=operator
    )
    application.refresh_from_db()
    assert application.status == rules.INFO_REQUESTED
    with pytest.raises(Conflict):
        actions.approve_funding_application(
            application=application, amount=Decimal("10000"), actor=operator
        )
    client = Client()
    login_staff(client, admin)
    page = client.get(f"/verwaltung/{own.slug}/foerderung/").content.decode()
    assert "Bitte den Kostenplan nachreichen." in page
    client.post(
        f"/verwaltung/{own.slug}/foerderung/{application.pk}/",
        {"schritt": "antworten", "antwort": "Kostenplan liegt bei."},
    )
    application.refresh_from_db()
    assert application.status == rules.SUBMITTED
    assert application.info_answer == "Kostenplan liegt bei."
    actions.approve_funding_application(
        application=application, amount=Decimal("10000"), actor=operator
    )
    assert {"cooperation.funding_info_requested", "cooperation.funding_info_answered"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


def test_early_start_is_permitted_once_and_only_while_open(land, own, operator):
    application = _apply(_call(land, "Aufruf"), own)
    actions.permit_early_start(application=application, actor=operator)
    application.refresh_from_db()
    assert application.early_start_permitted_at is not None
    with pytest.raises(Conflict):
        actions.permit_early_start(application=application, actor=operator)
    assert application.status == rules.SUBMITTED  # no promise of a grant


def test_proof_of_use_pays_the_rate_of_lower_costs_and_releases_the_rest(
    land, own, operator, admin, login_staff
):
    # given: 10.000 € approved at 80 % of 12.500 €
    call = _call(land, "Aufruf")
    application = _apply(call, own)
    actions.approve_funding_application(
        application=application, amount=Decimal("10000.00"), actor=operator
    )
    client = Client()
    login_staff(client, admin)
    url = f"/verwaltung/{own.slug}/foerderung/{application.pk}/"
    # a file that is not a PDF is refused in German
    bad = client.post(
        url,
        {
            "schritt": "nachweis",
            "ausgaben": "10.000,00",
            "bericht": "x",
            "datei": SimpleUploadedFile("n.pdf", b"GIF89a"),
        },
        follow=True,
    )
    assert "keine PDF-Datei" in bad.content.decode()
    assert not ProofOfUse.objects.exists()
    # when: the Kommune spent only 10.000 € and hands in the proof
    client.post(
        url,
        {
            "schritt": "nachweis",
            "ausgaben": "10.000,00",
            "bericht": "Die E-Akte ist eingeführt.",
            "datei": SimpleUploadedFile("nachweis.pdf", PDF, content_type="application/pdf"),
        },
    )
    proof = ProofOfUse.objects.get()
    # the reviewer first rejects (a note is needed), then the corrected proof is accepted
    with pytest.raises(InvalidInput):
        actions.review_proof_of_use(proof=proof, accept=False, actor=operator)
    actions.review_proof_of_use(proof=proof, accept=False, note="Rechnungen fehlen", actor=operator)
    proof = actions.submit_proof_of_use(
        application=application,
        actual_costs=Decimal("10000.00"),
        summary="mit Rechnungen",
        filename="nachweis.pdf",
        content=PDF,
        actor=admin,
    )
    operator_client = Client()
    login_staff(operator_client, operator)
    assert operator_client.get(f"/land/pruefung/nachweise/{proof.pk}.pdf").content == PDF
    operator_client.post(
        f"/land/pruefung/antraege/{application.pk}/", {"schritt": "nachweis_anerkennen"}
    )
    # then: 80 % of 10.000 € paid, the other 2.000 € free again, the ledger reconciles
    application.refresh_from_db()
    assert application.status == rules.SETTLED
    assert queries.application_position(application) == {
        "committed": Decimal("8000.00"),
        "paid": Decimal("8000.00"),
        "open": Decimal("0.00"),
    }
    assert queries.ledger(call)["available"] == Decimal("92000.00")
    assert queries.reconcile(call) == []
    with pytest.raises(Conflict):
        actions.review_proof_of_use(proof=proof, accept=True, actor=operator)


def test_withdrawal_after_approval_releases_the_commitment(land, own, operator, admin, login_staff):
    call = _call(land, "Aufruf")
    application = _apply(call, own)
    actions.approve_funding_application(
        application=application, amount=Decimal("10000.00"), actor=operator
    )
    client = Client()
    login_staff(client, admin)
    client.post(
        f"/verwaltung/{own.slug}/foerderung/{application.pk}/",
        {"schritt": "zuruecknehmen", "grund": "Projekt entfällt"},
    )
    application.refresh_from_db()
    assert application.status == rules.WITHDRAWN
    assert queries.ledger(call)["available"] == Decimal("100000.00")
    assert queries.reconcile(call) == []


def test_joint_application_led_by_one_kommune(
    land, own, foreign, admin, foreign_admin, login_staff
):
    application = _apply(_call(land, "Aufruf"), own)
    lead = Client()
    login_staff(lead, admin)
    lead.post(
        f"/verwaltung/{own.slug}/foerderung/{application.pk}/",
        {"schritt": "beteiligen", "ars": foreign.gebiet.ars},
    )
    assert list(application.partners.all()) == [foreign]
    partner = Client()
    login_staff(partner, foreign_admin)
    page = partner.get(f"/verwaltung/{foreign.slug}/foerderung/").content.decode()
    assert "Gemeinsamer Antrag, geführt von Stadtverwaltung Gera" in page
    # the partner reads but does not act on the lead's application
    response = partner.post(
        f"/verwaltung/{foreign.slug}/foerderung/{application.pk}/", {"schritt": "zuruecknehmen"}
    )
    assert response.status_code == 404
    assert (
        partner.post(
            f"/verwaltung/{own.slug}/foerderung/{application.pk}/", {"schritt": "zuruecknehmen"}
        ).status_code
        == 404
    )


def test_settlement_rule():
    pay, release = rules.settlement(
        open_amount=Decimal("10000.00"), actual_costs=Decimal("20000.00"), rate_percent=Decimal(80)
    )
    assert (pay, release) == (Decimal("10000.00"), Decimal("0.00"))  # never more than granted
    pay, release = rules.settlement(
        open_amount=Decimal("10000.00"), actual_costs=Decimal("0"), rate_percent=Decimal(80)
    )
    assert (pay, release) == (Decimal("0"), Decimal("10000.00"))
