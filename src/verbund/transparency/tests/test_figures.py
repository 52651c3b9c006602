"""The dashboard's figures against counts made independently from the records."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.conf import settings

from verbund.applications.models import Submission
from verbund.einvoices.models import Invoice, InvoiceStatus
from verbund.gebiete.models import Gebiet, Level
from verbund.transparency import actions, rules
from verbund.transparency.models import Figure

pytestmark = pytest.mark.django_db


@pytest.fixture
def land():
    return Gebiet.objects.get(level=Level.LAND, key=settings.VERBUND_LAND)


def test_figures_equal_counts_from_the_records(land):
    # given: the demo's submissions and invoices
    # when
    actions.aggregate_figures(land=land, actor="test")
    # then: applications per Gemeinde and month, counted here straight from the table
    expected: Counter[tuple[str, str]] = Counter()
    for ags, released in Submission.objects.filter(released_at__isnull=False).values_list(
        "place_ags", "released_at"
    ):
        if ags.startswith(land.key):
            expected[(ags, f"{released:%Y-%m}")] += 1
    assert expected, "the demo has released submissions"
    stored = {
        (f.key, f.period): f.value
        for f in Figure.objects.filter(
            measure=rules.APPLICATIONS, level="gemeinde", service=""
        ).exclude(period="")
    }
    assert stored == {k: float(v) for k, v in expected.items()}
    land_total = Figure.objects.get(measure=rules.APPLICATIONS_TOTAL, level="land", key=land.key)
    assert land_total.value == sum(
        1
        for ags in Submission.objects.filter(released_at__isnull=False).values_list(
            "place_ags", flat=True
        )
        if ags.startswith(land.key) or not ags
    )
    # e-invoices of the Land: every invoice routed to an authority
    invoices = Invoice.objects.exclude(authority=None)
    land_invoices = Figure.objects.filter(
        measure=rules.EINVOICES, level="land", key=land.key
    ).values_list("value", flat=True)
    assert sum(land_invoices) == invoices.count()
    rejected = Figure.objects.filter(
        measure=rules.EINVOICES_REJECTED, level="land", key=land.key
    ).values_list("value", flat=True)
    assert sum(rejected) == invoices.filter(status=InvoiceStatus.REJECTED).count()


def test_two_runs_over_the_same_records_agree(land):
    first = actions.aggregate_figures(land=land, actor="test")
    second = actions.aggregate_figures(land=land, actor="test")
    assert first.source_digest == second.source_digest


def test_the_map_has_every_gemeinde_of_the_directory_with_its_value(client):
    page = client.get("/transparenz/karte/").content.decode()
    gemeinden = Gebiet.objects.filter(
        level=Level.GEMEINDE, valid_until__isnull=True, land__key=settings.VERBUND_LAND
    )
    values = {f.key: f for f in Figure.objects.filter(measure=rules.COVERAGE_TOP, level="gemeinde")}
    found = dict(re.findall(r'data-ags="(\d{8})" aria-label="([^"]*)"', page))
    assert len(gemeinden) > 600
    for gemeinde in gemeinden:
        figure = values[gemeinde.key]
        shown = rules.display(rules.COVERAGE_TOP, figure.value, figure.cases, unit="%")
        assert found[gemeinde.key].endswith(": " + shown.replace("\u00a0", "\xa0")), gemeinde.key
    assert 'href="/transparenz/16051000/"' in page
    assert "GeoBasis-DE / BKG" in page


def test_small_counts_are_suppressed_on_the_page_in_the_csv_and_the_chart(client, land):
    actions.aggregate_figures(land=land, actor="test")
    small = (
        Figure.objects.filter(measure=rules.APPLICATIONS_TOTAL, level="gemeinde", value__gte=1)
        .filter(value__lt=5)
        .first()
    )
    assert small is not None, "the demo has a Gemeinde with 1–4 applications"
    page = client.get(f"/transparenz/{small.key}/").content.decode()
    cell = re.search(r'data-measure="applications_total">([^<]*)<', page).group(1)
    assert cell == "&lt; 5"
    assert "verbund-chart__bar--suppressed" in page
    csv = client.get(f"/transparenz/{small.key}/kennzahlen.csv").content.decode()
    line = next(row for row in csv.splitlines() if ";applications_total;" in row)
    assert line.endswith(";< 5;< 5")


@pytest.mark.parametrize(
    ("count", "shown"), [(0, "0"), (1, "< 5"), (4, "< 5"), (5, "5"), (1234, "1\u202f234")]
)
def test_display_count(count, shown):
    assert rules.display_count(count) == shown


def test_a_gemeinde_count_of_online_services_shows_without_decimals_a_mean_with_one():
    assert rules.display(rules.SERVICES_ONLINE, 5.0, 1) == "5"
    assert rules.display(rules.SERVICES_ONLINE, 4.26, 17) == "4,3"
    assert rules.display(rules.COVERAGE_TOP, 50.0, 10, unit="%") == "50,0\u00a0%"


def test_derived_figures_on_few_cases_are_hidden():
    assert rules.display_derived(3.5, 4) == "< 5"
    assert rules.display_derived(3.5, 0) == "–"
    assert rules.display_derived(3.5, 5, decimals=1) == "3,5"
    assert rules.csv_derived(12.0, 2) == "< 5"


def test_unknown_region_is_404(client):
    assert client.get("/transparenz/99999999/").status_code == 404
    assert client.get("/transparenz/abc/").status_code == 404
    assert client.get("/transparenz/16051000/kennzahlen.csv").status_code == 200


def test_figures_are_published_as_open_data(client):
    # load-demo published them through opendata's actions
    response = client.get("/daten/verbund-kennzahlen-antraege/")
    assert response.status_code == 200
    assert client.get("/transparenz/tabellen/verbund-kennzahlen-antraege.csv").status_code == 200
