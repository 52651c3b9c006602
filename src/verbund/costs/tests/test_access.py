"""Who reaches the cost pages, every URL enumerated from the URL configuration: the Land's
cost page only its operators (other kinds of account 403, operators without the Land 404,
as in the Land console), an authority's statements only its administrators (another
authority's administrator and its clerks 404), anonymous to the login page. And the pages
do what they say."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from verbund.accounts.models import User
from verbund.authorities.models import StaffRole
from verbund.costs import actions, rules
from verbund.costs import urls as costs_urls
from verbund.costs.models import ComponentCost, Statement
from verbund.costs.tests.conftest import make_staff

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2026, 10, 1)
LAND = {"operator"}
ADMIN = {"admin"}
MATRIX: dict[str, tuple[str, set[str]]] = {
    "land": ("get", LAND),
    "issue": ("post", LAND),
    "month_csv": ("get", LAND),
    "statements": ("get", ADMIN),
    "statement_pdf": ("get", ADMIN),
    "statement_csv": ("get", ADMIN),
}
OPERATORS = {"operator", "operator_without_land"}
ROLES = ["admin", "foreign_admin", "clerk", "citizen", "anonymous", *sorted(OPERATORS)]


def test_every_url_is_in_the_matrix():
    names = {p.name for p in costs_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(MATRIX)


@pytest.fixture
def world(land, own, foreign, operator, admin, foreign_admin, costs_2026, login_staff):
    actions.issue_statements(land=land, month=MONTH, actor="test")
    users = {
        "operator": operator,
        "admin": admin,
        "foreign_admin": foreign_admin,
        "clerk": make_staff("t-clerk", own, StaffRole.CLERK),
        "operator_without_land": User.objects.create_user("t-op3", kind=User.Kind.OPERATOR),
        "citizen": User.objects.create_user("t-citizen@example.org", kind=User.Kind.CITIZEN),
    }
    clients = {}
    for role in ROLES:
        client = Client()
        if role == "citizen":
            client.force_login(users[role])
        elif role in users:
            login_staff(client, users[role])
        clients[role] = client
    month = f"{MONTH:%Y-%m}"
    return {
        "clients": clients,
        "kwargs": {
            "month_csv": {"month": month},
            "statements": {"slug": own.slug},
            "statement_pdf": {"slug": own.slug, "month": month},
            "statement_csv": {"slug": own.slug, "month": month},
        },
        "data": {"issue": {"monat": month}},
    }


def _expected_refusal(role: str, name: str) -> set[int]:
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    if MATRIX[name][1] == LAND:
        return {404} if role in OPERATORS else {403}
    return {403} if role in OPERATORS else {404}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix(world, name):
    method, allowed = MATRIX[name]
    url = reverse(f"costs:{name}", kwargs=world["kwargs"].get(name, {}))
    for role in ROLES:
        client = world["clients"][role]
        response = (
            client.get(url) if method == "get" else client.post(url, world["data"].get(name, {}))
        )
        if role in allowed:
            assert response.status_code in {200, 302}, (role, name, response.status_code)
        else:
            assert response.status_code in _expected_refusal(role, name), (
                role,
                name,
                response.status_code,
            )
            if response.status_code == 302:
                assert "/konto/" in response["Location"], (role, name)


def test_an_admin_sees_only_own_statements(world, own, foreign):
    client = world["clients"]["foreign_admin"]
    # Suhl's administrator has a statement of its own …
    assert client.get(f"/verwaltung/{foreign.slug}/abrechnungen/").status_code == 200
    assert client.get(f"/verwaltung/{foreign.slug}/abrechnungen/2026-10.pdf").status_code == 200
    # … and none of Gera's
    for path in ("", "2026-10.pdf", "2026-10.csv"):
        assert client.get(f"/verwaltung/{own.slug}/abrechnungen/{path}").status_code == 404


def test_the_admin_downloads_the_statement(world, own):
    client = world["clients"]["admin"]
    page = client.get(f"/verwaltung/{own.slug}/abrechnungen/").content.decode()
    statement = Statement.objects.get(authority=own, month=MONTH)
    assert rules.format_euro(statement.total_cents) in page
    assert "/abrechnungen/2026-10.pdf" in page
    pdf = client.get(f"/verwaltung/{own.slug}/abrechnungen/2026-10.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get(f"/verwaltung/{own.slug}/abrechnungen/2099-01.pdf").status_code == 404
    assert client.get(f"/verwaltung/{own.slug}/abrechnungen/kaputt.csv").status_code == 404
    # the administration links to the statements
    assert (
        f"/verwaltung/{own.slug}/abrechnungen/"
        in client.get(f"/verwaltung/{own.slug}/").content.decode()
    )


def test_the_operator_enters_costs_and_issues_statements(world, land):
    client = world["clients"]["operator"]
    page = client.get("/land/kosten/?jahr=2026").content.decode()
    assert "Kosten und Abrechnung" in page and "10/2026" in page
    assert "/land/kosten/" in client.get("/land/").content.decode()  # the console links it
    # when the operator enters a cost in German notation
    response = client.post(
        "/land/kosten/",
        {
            "komponente": rules.INVOICES,
            "jahr": "2026",
            "betrag": "1.234,56",
            "schluessel": "population",
        },
    )
    assert response.status_code == 302
    cost = ComponentCost.objects.get(land=land, component=rules.INVOICES, year=2026)
    assert str(cost.amount) == "1234.56" and cost.key == rules.POPULATION
    # bad input gives a German message, not a 500
    response = client.post(
        "/land/kosten/",
        {"komponente": rules.INVOICES, "jahr": "2026", "betrag": "viel", "schluessel": "x"},
        follow=True,
    )
    assert response.status_code == 200 and "Verteilschlüssel" in response.content.decode()
    response = client.post("/land/kosten/abrechnen/", {"monat": "Oktober"}, follow=True)
    assert "JJJJ-MM" in response.content.decode()
    response = client.post("/land/kosten/abrechnen/", {"monat": "2099-01"}, follow=True)
    assert "vergangene Monate" in response.content.decode()
    # when the month is issued again, it now includes the invoices
    response = client.post("/land/kosten/abrechnen/", {"monat": "2026-10"}, follow=True)
    assert "Abrechnungen erstellt" in response.content.decode()
    csv_text = client.get("/land/kosten/2026-10.csv").content.decode("utf-8-sig")
    assert "E-Rechnungseingang" in csv_text
    assert client.get("/land/kosten/2099-01.csv").status_code == 404
