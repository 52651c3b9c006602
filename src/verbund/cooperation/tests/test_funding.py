"""The funding programme's budget ledger: approvals commit money, the commitments never
exceed the budget, every booking is audited and the ledger reconciles to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from verbund.authorities.models import Authority
from verbund.cooperation import actions, queries, reports, rules
from verbund.cooperation.models import Booking, FundingCall
from verbund.core.errors import Conflict, InvalidInput
from verbund.core.models import AuditEntry
from verbund.gebiete.models import Gebiet, Level

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(land):
    return actions.open_funding_call(
        land=land,
        title="ThürEGovRL 2027: Online-Dienste",
        year=2027,
        budget=Decimal("100000.00"),
        min_amount=Decimal("5000.00"),
        max_amount=Decimal("50000.00"),
        rate_percent=Decimal("80"),
        actor="test",
    )


def _apply(call, authority, costs="30000.00", requested="24000.00"):
    return actions.submit_funding_application(
        call=call,
        applicant=authority,
        title="E-Akte",
        eligible_costs=Decimal(costs),
        requested_amount=Decimal(requested),
        actor="test",
    )


def test_approval_commits_and_the_report_shows_it(client, login_staff, operator, call, own):
    application = _apply(call, own)
    actions.approve_funding_application(
        application=application, amount=Decimal("24000.00"), actor=operator
    )
    actions.disburse_funding(application=application, amount=Decimal("10000.00"), actor=operator)
    assert queries.ledger(call) == {
        "budget": Decimal("100000.00"),
        "committed": Decimal("24000.00"),
        "paid": Decimal("10000.00"),
        "available": Decimal("76000.00"),
    }
    assert queries.reconcile(call) == []
    bookings = [str(pk) for pk in Booking.objects.filter(call=call).values_list("pk", flat=True)]
    kinds = AuditEntry.objects.filter(
        action__startswith="cooperation.booking_", object_id__in=bookings
    ).values_list("action", flat=True)
    assert sorted(kinds) == ["cooperation.booking_commitment", "cooperation.booking_disbursement"]
    login_staff(client, operator)
    page = client.get("/land/foerderung/").content.decode()
    assert "76.000,00 €" in page and "24.000,00 €" in page


def test_grant_rules_are_enforced(call, own):
    application = _apply(call, own, costs="10000.00", requested="8000.00")
    with pytest.raises(InvalidInput, match="80"):
        actions.approve_funding_application(
            application=application, amount=Decimal("8000.01"), actor="test"
        )
    with pytest.raises(InvalidInput, match="Mindestbetrag"):
        actions.approve_funding_application(
            application=application, amount=Decimal("4000.00"), actor="test"
        )
    actions.approve_funding_application(
        application=application, amount=Decimal("8000.00"), actor="test"
    )
    with pytest.raises(Conflict, match="bereits bewilligt"):
        actions.approve_funding_application(
            application=application, amount=Decimal("8000.00"), actor="test"
        )
    with pytest.raises(Conflict):
        actions.disburse_funding(application=application, amount=Decimal("8000.01"), actor="t")
    actions.release_funding(application=application, amount=Decimal("500.00"), actor="t")
    assert queries.ledger(call)["committed"] == Decimal("7500.00")
    assert queries.reconcile(call) == []


def test_budget_is_never_overspent_serially(call):
    authorities = list(Authority.objects.order_by("pk")[:12])
    applications = [_apply(call, a, costs="20000.00", requested="16000.00") for a in authorities]
    approved, refused = 0, []
    for application in applications:
        try:
            actions.approve_funding_application(
                application=application, amount=Decimal("16000.00"), actor="test"
            )
            approved += 1
        except Conflict as exc:
            refused.append(exc.message)
    assert approved == 6  # 6 × 16.000 = 96.000 ≤ 100.000 < 7 × 16.000
    assert all("verfügbar sind noch 4.000,00 €" in reason for reason in refused)
    assert queries.ledger(call)["available"] == Decimal("4000.00")
    assert queries.reconcile(call) == []


def test_reject_needs_a_reason(call, own):
    application = _apply(call, own)
    with pytest.raises(InvalidInput):
        actions.reject_funding_application(application=application, reason=" ", actor="t")
    actions.reject_funding_application(
        application=application, reason="Nicht förderfähig.", actor="t"
    )
    assert not Booking.objects.filter(application=application).exists()
    assert queries.reconcile(call) == []


def test_report_lists_open_applications_oldest_first_and_downloads_csv(
    client, login_staff, operator, call, own, foreign
):
    first = _apply(call, own)
    second = _apply(call, foreign)
    login_staff(client, operator)
    page = client.get("/land/foerderung/").content.decode()
    assert page.index("Stadtverwaltung Gera") < page.index("Stadtverwaltung Suhl")
    response = client.get("/land/foerderung/bericht.csv", {"tabelle": "offen"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    ids = [line.split(";")[0] for line in lines[1:]]
    assert lines[0].startswith("Antrag;")
    assert ids.index(str(first.pk)) < ids.index(str(second.pk))
    calls = client.get("/land/foerderung/bericht.csv", {"tabelle": "aufrufe"})
    assert "100000.00" in calls.content.decode("utf-8-sig")
    assert client.get("/land/foerderung/bericht.csv", {"tabelle": "x"}).status_code == 400
    states = client.get("/land/foerderung/bericht.csv", {"tabelle": "stand"})
    counts = dict(line.split(";") for line in states.content.decode("utf-8-sig").splitlines())
    assert int(counts["eingegangen"]) >= 2  # the two above and the demo's
    times = client.get("/land/foerderung/bericht.csv", {"tabelle": "dauer"})
    median, maximum = times.content.decode("utf-8-sig").splitlines()[1].split(";")
    assert float(median) <= int(maximum)  # the demo decided some applications


def test_approval_through_the_console(client, login_staff, operator, call, own):
    application = _apply(call, own)
    login_staff(client, operator)
    response = client.post(
        f"/land/foerderung/antraege/{application.pk}/",
        {"entscheidung": "bewilligen", "betrag": "24.000,00"},
        follow=True,
    )
    assert "bewilligt" in response.content.decode()
    application.refresh_from_db()
    assert application.status == rules.APPROVED
    assert application.approved_amount == Decimal("24000.00")


def test_statistics_by_status_and_kreis(client, login_staff, operator, call, own, land):
    application = _apply(call, own)
    actions.reject_funding_application(application=application, reason="Nein.", actor="t")
    _apply(call, own)
    statistics = reports.funding_statistics(land)
    gera = dict((name, (total, open_)) for name, total, open_ in statistics.by_kreis)["Gera"]
    assert gera == (2, 1)
    assert statistics.max_days is not None and statistics.max_days >= 0
    login_staff(client, operator)
    csv_text = client.get("/land/foerderung/bericht.csv", {"tabelle": "kreise"}).content
    assert "Gera;2;1" in csv_text.decode("utf-8-sig")


def test_calls_are_grouped_into_programmes_in_the_report(client, login_staff, operator, land, own):
    # given: a programme with two calls in the same year, another programme with one
    login_staff(client, operator)
    for programme, title, budget in [
        ("Digitale Kommune", "Aufruf Frühjahr", "100.000,00"),
        ("Digitale Kommune", "Aufruf Herbst", "50.000,00"),
        ("Breitband im Rathaus", "Aufruf Glasfaser", "20.000,00"),
    ]:
        response = client.post(
            "/land/foerderung/aufrufe/",
            {
                "programm": programme,
                "titel": title,
                "jahr": "2027",
                "budget": budget,
                "mindestbetrag": "1000",
                "hoechstbetrag": "10000",
                "foerdersatz": "80",
            },
        )
        assert response.status_code == 302
    spring = FundingCall.objects.get(title="Aufruf Frühjahr")
    autumn = FundingCall.objects.get(title="Aufruf Herbst")
    assert spring.programme == autumn.programme and spring.programme is not None
    created = AuditEntry.objects.filter(action="cooperation.programme_created", actor=operator)
    assert created.count() == 2
    actions.approve_funding_application(
        application=_apply(autumn, own, costs="10000.00", requested="8000.00"),
        amount=Decimal("8000.00"),
        actor=operator,
    )
    # when
    groups = {g.title: g for g in reports.funding_report_by_programme(land)}
    page = client.get("/land/foerderung/").content.decode()
    csv_text = client.get("/land/foerderung/bericht.csv", {"tabelle": "programme"}).content
    calls_csv = client.get("/land/foerderung/bericht.csv", {"tabelle": "aufrufe"}).content
    # then: the programme sums its calls; the page and the CSVs show it
    digital = groups["Digitale Kommune"]
    assert [c.call.title for c in digital.calls] == ["Aufruf Frühjahr", "Aufruf Herbst"]
    assert digital.totals["budget"] == Decimal("150000.00")
    assert digital.totals["committed"] == Decimal("8000.00")
    assert digital.totals["available"] == Decimal("142000.00")
    assert groups["Breitband im Rathaus"].totals["budget"] == Decimal("20000.00")
    assert 'id="programm-' in page and "Digitale Kommune" in page and "150.000,00" in page
    assert "Digitale Kommune;2;150000.00;8000.00;0;142000.00" in csv_text.decode("utf-8-sig")
    assert "Digitale Kommune;Aufruf Herbst;2027;50000.00" in calls_csv.decode("utf-8-sig")


def test_a_call_needs_a_programme_of_the_same_land(client, login_staff, operator, land):
    login_staff(client, operator)
    response = client.post(
        "/land/foerderung/aufrufe/",
        {
            "programm": " ",
            "titel": "Ohne",
            "jahr": "2027",
            "budget": "1",
            "mindestbetrag": "0",
            "hoechstbetrag": "1",
            "foerdersatz": "80",
        },
        follow=True,
    )
    assert "Bitte das Förderprogramm nennen" in response.content.decode()
    assert not FundingCall.objects.filter(title="Ohne").exists()
    other = Gebiet.objects.exclude(pk=land.pk).filter(level=Level.LAND).first()
    if other is not None:
        foreign = actions.ensure_funding_programme(land=other, title="Fremd", actor="t")
        with pytest.raises(InvalidInput):
            actions.open_funding_call(
                land=land,
                programme=foreign,
                title="x",
                year=2027,
                budget=Decimal(1),
                min_amount=Decimal(0),
                max_amount=Decimal(1),
                rate_percent=Decimal(80),
                actor="t",
            )
