"""A Kommune applies through the platform's own `egov-foerderung` form; on release the
application joins the Land's open funding call, linked to its submission."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from verbund.accounts.models import User
from verbund.applications.models import Submission
from verbund.applications.tests.conftest import (  # noqa: F401 (fixtures)
    PDF,
    _attachment_storage,
    _key_pool,
)
from verbund.authorities.models import Authority, StaffMembership
from verbund.cooperation import queries
from verbund.cooperation.models import FundingApplication

pytestmark = pytest.mark.django_db


def _apply_through_the_form(client, login_staff):  # type: ignore[no-untyped-def]
    jena = Authority.objects.get(name="Stadtverwaltung Jena")
    staff = User.objects.create_user("t-digital-jena", kind=User.Kind.STAFF)
    StaffMembership.objects.create(user=staff, authority=jena)
    login_staff(client, staff)
    response = client.post(
        "/leistungen/egov-foerderung/antrag/", {"applicant_authority": jena.slug, "begin": "1"}
    )
    assert response.status_code == 302
    base = response["Location"].rsplit("/schritt/", 1)[0]
    start = datetime.date.today() + datetime.timedelta(days=30)
    pages = [
        {
            "f-ansprechperson": "Jana Digital",
            "f-telefon": "03641 000000",
            "f-email": "d@jena.example",
        },
        {
            "f-massnahme": "eakte",
            "f-beschreibung": "Einführung der E-Akte in allen Ämtern der Stadt, mit Schulungen.",
            "f-beginn": start.isoformat(),
            "f-ende": (start + datetime.timedelta(days=365)).isoformat(),
            "f-gesamtkosten": "60.000,00",
            "f-eigenanteil": "12.000,00",
            "f-beantragt": "48.000,00",
            "f-haushaltsbeschluss": SimpleUploadedFile("beschluss.pdf", PDF),
        },
    ]
    for number, data in enumerate(pages, start=1):
        response = client.post(f"{base}/schritt/{number}/", {**data, "action": "next"})
        assert response.status_code == 302, response.content.decode()[:3000]
    response = client.post(response["Location"], {"consent": "1"})
    assert response.status_code == 302
    submission = Submission.objects.filter(applicant_authority=jena).latest("submitted_at")
    return submission, FundingApplication.objects.get(submission=submission), staff


def test_egov_foerderung_submission_becomes_a_funding_application(client, login_staff, land):
    call = queries.open_call(land)
    assert call is not None  # the demo's call
    submission, application, _staff = _apply_through_the_form(client, login_staff)
    jena = Authority.objects.get(name="Stadtverwaltung Jena")
    assert application.call == call and application.applicant == jena
    assert application.requested_amount == Decimal("48000.00")
    assert application.eligible_costs == Decimal("60000.00")
    assert application.status == "submitted"

    # when: the Land approves, the Zuwendungsbescheid arrives in the Kommune's Postfach
    from verbund.cooperation import actions
    from verbund.mailbox.models import Message

    operator = User.objects.create_user("t-reviewer", kind=User.Kind.OPERATOR)
    actions.approve_funding_application(
        application=application, amount=Decimal("48000.00"), actor=operator
    )
    submission.refresh_from_db()
    assert submission.status == "decided"
    message = Message.objects.get(submission=submission, kind="bescheid")
    names = [a.filename for a in message.attachments.all()]
    assert names == [f"Zuwendungsbescheid-{submission.vorgangsnummer}.pdf"]
    assert queries.ledger(call)["committed"] >= Decimal("48000.00")
    assert queries.reconcile(call) == []


def test_the_schlussbescheid_follows_the_accepted_proof_of_use(client, login_staff, land):
    # given: 48.000 € approved at the call's rate, the Zuwendungsbescheid delivered
    from verbund.cooperation import actions
    from verbund.mailbox.models import Message

    call = queries.open_call(land)
    submission, application, staff = _apply_through_the_form(client, login_staff)
    operator = User.objects.create_user("t-reviewer", kind=User.Kind.OPERATOR)
    actions.approve_funding_application(
        application=application, amount=Decimal("48000.00"), actor=operator
    )
    available = queries.ledger(call)["available"]
    # when: the actual costs were lower and the reviewer accepts the Verwendungsnachweis
    proof = actions.submit_proof_of_use(
        application=application,
        actual_costs=Decimal("50000.00"),
        summary="E-Akte eingeführt",
        filename="nachweis.pdf",
        content=PDF,
        actor=staff,
    )
    actions.review_proof_of_use(proof=proof, accept=True, actor=operator)
    # then: the grant is finally set, the rest is released, the Schlussbescheid is delivered
    application.refresh_from_db()
    due = (Decimal("50000.00") * call.rate_percent / 100).quantize(Decimal("0.01"))
    final = min(due, Decimal("48000.00"))
    assert application.status == "settled" and application.final_amount == final
    assert application.final_notice_at is not None
    assert queries.ledger(call)["available"] == available + Decimal("48000.00") - final
    assert queries.reconcile(call) == []
    notices = Message.objects.filter(submission=submission, kind="bescheid").order_by("sent_at")
    assert [a.filename for m in notices for a in m.attachments.all()] == [
        f"Zuwendungsbescheid-{submission.vorgangsnummer}.pdf",
        f"Schlussbescheid-{submission.vorgangsnummer}.pdf",
    ]
    assert "endgültig" in notices.last().body  # type: ignore[union-attr]
    pdf = actions.render_final_notice(
        application=application, proof=proof, released=Decimal("48000.00") - final
    )
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    german = [
        f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
        for amount in (final, Decimal("48000.00") - final)
    ]
    for shown in ("Schlussbescheid", *german, "Rechtsbehelfsbelehrung"):
        assert shown in text, shown
    submission.refresh_from_db()
    assert submission.status == "decided"
