"""Statements: the month's allocations sum exactly to the cost, each is reproducible from
its stored inputs, the PDF is tagged and names the authority and the amounts, the CSVs sum
to the cost, and the administrators are notified once."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from pypdf import PdfReader

from verbund.applications.models import Submission
from verbund.core.tasks import run_pending
from verbund.costs import actions, documents, queries, rules
from verbund.costs.models import Allocation, Statement

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2026, 10, 1)


def _at(day: int) -> datetime.datetime:
    return datetime.datetime(2026, 10, day, 12, tzinfo=datetime.UTC)


@pytest.fixture
def october_usage(own, foreign):
    """Three applications for Gera, one for Suhl, submitted in October 2026."""
    submissions = list(Submission.objects.filter(submitted_at__isnull=False).order_by("pk")[:4])
    assert len(submissions) == 4, "the demo has submitted applications"
    for index, submission in enumerate(submissions):
        Submission.objects.filter(pk=submission.pk).update(
            authority=own if index < 3 else foreign, submitted_at=_at(5 + index)
        )
    return submissions


def _issue(land):
    return actions.issue_statements(land=land, month=OCTOBER, actor="test")


def test_statements_and_the_lands_part_sum_to_the_cost(land, costs_2026, october_usage, own):
    # when
    statements = _issue(land)
    # then every component's shares sum to its monthly cost, to the cent
    allocations = list(queries.allocations_of(land, OCTOBER))
    assert {a.component for a in allocations} == {c[0] for c in costs_2026}
    for allocation in allocations:
        year_cents = rules.to_cents(
            Decimal(next(c[1] for c in costs_2026 if c[0] == allocation.component))
        )
        assert allocation.cost_cents == rules.monthly_cost(year_cents, 10)
        assert sum(allocation.shares.values()) == allocation.cost_cents
        assert all(share >= 0 for share in allocation.shares.values())
    total_cost = sum(a.cost_cents for a in allocations)
    land_part = sum(a.shares[a.land_party] for a in allocations)
    assert sum(s.total_cents for s in statements) + land_part == total_cost
    # and the Land bears what its key says: everything for the datasets
    datasets = next(a for a in allocations if a.component == rules.DATASETS)
    assert datasets.shares[datasets.land_party] == datasets.cost_cents
    # Gera used 3 of the 4 applications: it bears 3/4 of that component (±1 cent)
    applications = next(a for a in allocations if a.component == rules.APPLICATIONS)
    gera = applications.shares[queries.party_of(own)]
    assert abs(gera - applications.cost_cents * 3 / 4) < 1


def test_a_statement_is_reproducible_from_its_inputs(land, costs_2026, october_usage):
    first = {s.party: (s.total_cents, s.lines) for s in _issue(land)}
    for allocation in Allocation.objects.filter(land=land, month=OCTOBER):
        assert queries.recompute(allocation) == allocation.shares
    # when issued again from the same records
    again = {s.party: (s.total_cents, s.lines) for s in _issue(land)}
    # then the figures are identical
    assert again == first


def test_the_pdf_is_tagged_and_names_authority_and_amounts(land, costs_2026, october_usage, own):
    _issue(land)
    statement = Statement.objects.get(authority=own, month=OCTOBER)
    # when
    reader = PdfReader(io.BytesIO(documents.render_statement_pdf(statement)))
    # then it is a tagged PDF (PDF/UA-1) with language and title
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert str(root["/Lang"]).startswith("de")
    assert "Abrechnung" in (reader.metadata.title or "")
    text = " ".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")
    assert "Stadtverwaltung Gera" in text
    assert rules.format_euro(statement.total_cents).replace("\u00a0", " ") in text
    for line in statement.lines:
        assert rules.format_euro(line["share_cents"]).replace("\u00a0", " ") in text


def _share_column(text: str) -> list[Decimal]:
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][-1] == "Anteil"
    return [Decimal(row[-1]) for row in rows[1:]]


def test_the_csvs_sum_to_the_cost(land, costs_2026, october_usage, own):
    statements = _issue(land)
    total = sum(a.cost_cents for a in queries.allocations_of(land, OCTOBER))
    # the Land's table of the month: every party's share
    assert sum(_share_column(documents.render_month_csv(land, OCTOBER))) == rules.from_cents(total)
    # each authority's own table: its statement's total
    for statement in statements:
        shares = _share_column(documents.render_statements_csv([statement]))
        assert sum(shares, Decimal(0)) == rules.from_cents(statement.total_cents)


def test_administrators_are_notified_once(land, costs_2026, october_usage, own, admin):
    mail.outbox.clear()
    _issue(land)
    run_pending()
    to_gera = [m for m in mail.outbox if "t-admin@gera.example" in m.to]
    assert len(to_gera) == 1
    assert "10/2026" in to_gera[0].subject
    statement = Statement.objects.get(authority=own, month=OCTOBER)
    assert statement.notified_at is not None
    assert actions.send_statement_notice(statement_id=statement.pk) is False
    # issued again with the same figures: no second mail
    _issue(land)
    run_pending()
    assert len([m for m in mail.outbox if "t-admin@gera.example" in m.to]) == 1


def test_bad_cost_input_is_refused(land):
    from verbund.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        actions.set_component_cost(
            land=land,
            component=rules.POSTFACH,
            year=2026,
            amount=Decimal("-1"),
            key="usage",
            actor="test",
        )
    with pytest.raises(InvalidInput):
        actions.set_component_cost(
            land=land,
            component=rules.POSTFACH,
            year=2026,
            amount=Decimal("1.001"),
            key="usage",
            actor="test",
        )
