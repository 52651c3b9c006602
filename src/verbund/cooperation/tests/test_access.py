"""The authorization matrix of the Land console and the authority administration, every URL
enumerated from the URL configuration so that a new one cannot escape: operators only in
their Land, an authority's administrator only for their own authority, other staff and
other authorities 404, other kinds of account 403, anonymous to the login page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern

from verbund.accounts.models import User
from verbund.authorities import actions as authority_actions
from verbund.authorities.models import Authority, AuthorityKind, StaffRole
from verbund.authorities.rules import make_leitweg_id
from verbund.cooperation import actions, queries
from verbund.cooperation import urls as cooperation_urls
from verbund.cooperation.models import FundingReviewer, LandOperator, SharedService
from verbund.cooperation.tests.conftest import make_staff
from verbund.finder.models import OfficeKind
from verbund.gebiete.models import Gebiet, GebietType, Level

pytestmark = pytest.mark.django_db

LAND = {"operator"}
# Pages that act on the operator's own Land: an operator of another Land sees and changes
# only that Land there (see test_an_operator_sees_only_their_land).
OWN_LAND = {"operator", "foreign_operator"}
ADMIN = {"admin"}
# Reviewers of the funding programme: the Land's operators and those assigned to the call.
REVIEW = {"operator", "reviewer"}
# Which roles may use each URL. A URL missing here fails the test.
MATRIX: dict[str, tuple[str, set[str]]] = {
    "land": ("get", OWN_LAND),
    "invite": ("post", OWN_LAND),
    "rollout": ("get", OWN_LAND),
    "publish": ("post", OWN_LAND),
    "funding": ("get", OWN_LAND),
    "open_call": ("post", OWN_LAND),
    "decide_funding": ("post", LAND),
    "funding_csv": ("get", OWN_LAND),
    "districts": ("get", OWN_LAND),
    "office_kind": ("get", LAND),
    "propose_district": ("post", LAND),
    "review_district": ("post", LAND),
    "districts_xzufi": ("get", LAND),
    "funding_review": ("get", REVIEW),
    "funding_review_step": ("post", REVIEW),
    "proof_document": ("get", REVIEW),
    "texts": ("get", OWN_LAND),
    "text_draft": ("post", OWN_LAND),
    "text_step": ("post", LAND),
    "administration_texts": ("get", ADMIN),
    "administration_text_draft": ("post", ADMIN),
    "administration_text_step": ("post", ADMIN),
    "administration_staff": ("get", ADMIN),
    "administration_staff_save": ("post", ADMIN),
    "administration_staff_invite": ("post", ADMIN),
    "administration_staff_deactivate": ("post", ADMIN),
    "administration_leitweg": ("post", ADMIN),
    "administration_leitweg_deactivate": ("post", ADMIN),
    "administration_funding": ("get", ADMIN),
    "administration_funding_step": ("post", ADMIN),
    "administration_index": ("get", {"admin", "foreign_admin", "clerk", "lead"}),
    "administration": ("get", ADMIN),
    "accept": ("post", ADMIN),
    "leave": ("post", ADMIN),
    "service_activation": ("post", ADMIN),
}
STAFF = {"admin", "foreign_admin", "clerk", "lead", "admin_without_2fa"}
OPERATORS = {"operator", "foreign_operator", "operator_without_land", "reviewer"}
ROLES = sorted(STAFF | OPERATORS | {"citizen", "anonymous"})


def test_every_url_is_in_the_matrix():
    names = {p.name for p in cooperation_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(MATRIX)


@pytest.fixture
def world(land, own, foreign, operator, admin, foreign_admin, login_staff):
    other_land = Gebiet.objects.create(
        level=Level.LAND,
        key="15",
        ars="150000000000",
        name="Sachsen-Anhalt",
        type=GebietType.LAND,
        gebietsstand=datetime.date(2026, 1, 1),
    )
    Authority.objects.create(
        slug="t-anderes-land",
        name="Behörde im anderen Land",
        kind=AuthorityKind.MINISTERIUM,
        gebiet=other_land,
    )
    users = {
        "operator": operator,
        "admin": admin,
        "foreign_admin": foreign_admin,
        "clerk": make_staff("t-clerk", own, StaffRole.CLERK),
        "lead": make_staff("t-lead", own, StaffRole.LEAD),
        "foreign_operator": User.objects.create_user("t-op2", kind=User.Kind.OPERATOR),
        "operator_without_land": User.objects.create_user("t-op3", kind=User.Kind.OPERATOR),
        "reviewer": User.objects.create_user("t-rev", kind=User.Kind.OPERATOR),
        "citizen": User.objects.create_user("t-citizen@example.org", kind=User.Kind.CITIZEN),
    }
    LandOperator.objects.create(user=users["foreign_operator"], land=other_land)
    actions.invite_authority(land=land, ars=own.gebiet.ars, actor="test")
    call = actions.open_funding_call(
        land=land,
        title="Matrix",
        year=2027,
        budget=Decimal(100000),
        min_amount=Decimal(1),
        max_amount=Decimal(50000),
        rate_percent=Decimal(100),
        actor="test",
    )
    application = actions.submit_funding_application(
        call=call,
        applicant=own,
        title="x",
        eligible_costs=Decimal(100),
        requested_amount=Decimal(100),
        actor="test",
    )
    shared = SharedService.objects.filter(land=land).first()
    FundingReviewer.objects.create(user=users["reviewer"], call=call)
    revision = actions.draft_text(
        land=land,
        service=queries.service_by_slug("hundesteuer-anmelden"),
        authority=own,
        field_name="notes",
        text="Matrix",
        actor=admin,
    )
    approved = actions.submit_funding_application(
        call=call,
        applicant=own,
        title="mit Nachweis",
        eligible_costs=Decimal(1000),
        requested_amount=Decimal(500),
        actor="test",
    )
    actions.approve_funding_application(application=approved, amount=Decimal(500), actor="test")
    proof = actions.submit_proof_of_use(
        application=approved,
        actual_costs=Decimal(1000),
        summary="Matrix",
        filename="n.pdf",
        content=b"%PDF-1.4\n%%EOF\n",
        actor="test",
    )
    proposal = actions.propose_district(
        land=land,
        kind=OfficeKind.objects.get(slug="grundbuchamt"),
        office_slug="gba-jena",
        area="16066",
        reason="Matrix",
        actor=User.objects.create_user("t-editor", kind=User.Kind.OPERATOR),
    )
    leitweg = authority_actions.add_leitweg_id(
        authority=own, value=str(make_leitweg_id("160520000000", "MATRIX")), actor="test"
    )
    clients: dict[str, Client] = {}
    for role in ROLES:
        client = Client()
        if role == "admin_without_2fa":
            client.force_login(admin)
        elif role in users and role != "citizen":
            login_staff(client, users[role])
        elif role == "citizen":
            client.force_login(users[role])
        clients[role] = client
    return {
        "clients": clients,
        "kwargs": {
            "decide_funding": {"pk": application.pk},
            "administration": {"slug": own.slug},
            "accept": {"slug": own.slug},
            "leave": {"slug": own.slug},
            "service_activation": {"slug": own.slug, "pk": shared.pk},
            "office_kind": {"slug": "grundbuchamt"},
            "propose_district": {"slug": "grundbuchamt"},
            "review_district": {"pk": proposal.pk},
            "districts_xzufi": {"slug": "grundbuchamt"},
            "funding_review_step": {"pk": application.pk},
            "proof_document": {"pk": proof.pk},
            "text_step": {"pk": revision.pk},
            "administration_texts": {"slug": own.slug},
            "administration_text_draft": {"slug": own.slug},
            "administration_text_step": {"slug": own.slug, "pk": revision.pk},
            "administration_staff": {"slug": own.slug},
            "administration_staff_save": {"slug": own.slug},
            "administration_staff_invite": {"slug": own.slug},
            "administration_staff_deactivate": {
                "slug": own.slug,
                # not one of the roles: deactivating it must not log a role out
                "pk": make_staff("t-leaving", own, StaffRole.CLERK).memberships.get().pk,
            },
            "administration_leitweg": {"slug": own.slug},
            "administration_leitweg_deactivate": {"slug": own.slug, "pk": leitweg.pk},
            "administration_funding": {"slug": own.slug},
            "administration_funding_step": {"slug": own.slug, "pk": application.pk},
        },
        "data": {
            "invite": {"ars": "16051000"},
            "decide_funding": {"entscheidung": "ablehnen", "grund": "Matrix"},
            "accept": {"fassung": "x", "zustimmung": "1", "ansprechperson": "x"},
            "service_activation": {"schritt": "freischalten", "kontakt": "x", "frist": "3"},
            "propose_district": {"amt": "gba-jena", "gebiet": "16066", "begruendung": "x"},
            "review_district": {"entscheidung": "ablehnen", "vermerk": "Matrix"},
            "funding_review_step": {"schritt": "rueckfrage", "frage": "Matrix"},
            "administration_funding_step": {"schritt": "zuruecknehmen", "grund": "Matrix"},
            "administration_staff_save": {"konto": "t-clerk", "rolle": "leitung", "aktiv": "1"},
            "administration_leitweg": {"leitweg_id": "16-x", "kontakt": "Matrix"},
            "administration_staff_invite": {
                "vorname": "M",
                "nachname": "Matrix",
                "email": "matrix@example.org",
                "rolle": "sachbearbeitung",
            },
            "text_draft": {"leistung": "hundesteuer-anmelden", "feld": "costs", "text": "M"},
            "text_step": {"schritt": "zurueckweisen", "vermerk": "Matrix"},
            "administration_text_draft": {
                "leistung": "hundesteuer-anmelden",
                "feld": "costs",
                "text": "M",
            },
        },
    }


def _expected_refusal(role: str, name: str) -> set[int]:
    land_page = MATRIX[name][1] in (LAND, OWN_LAND, REVIEW)
    if role == "anonymous":
        return {302}
    if role == "admin_without_2fa":
        return {302}
    if role == "citizen":
        return {403}
    if land_page:
        return {404} if role in OPERATORS else {403}
    return {403} if role in OPERATORS else {404}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix(world, name):
    from django.urls import reverse

    method, allowed = MATRIX[name]
    url = reverse(f"cooperation:{name}", kwargs=world["kwargs"].get(name, {}))
    if name == "funding_csv":
        url += "?tabelle=offen"
    for role in ROLES:
        client = world["clients"][role]
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, world["data"].get(name, {}))
        if role in allowed:
            assert response.status_code in {200, 302}, (role, name, response.status_code)
            if response.status_code == 302:
                assert "/konto/" not in response["Location"], (role, name)
        else:
            expected = _expected_refusal(role, name)
            assert response.status_code in expected, (role, name, response.status_code)
            if response.status_code == 302:
                assert "/konto/" in response["Location"], (role, name, response["Location"])


def test_an_operator_sees_only_their_land(world):
    client = world["clients"]["foreign_operator"]
    page = client.get("/land/").content.decode()
    assert "Behörde im anderen Land" in page and "Stadtverwaltung Erfurt" not in page
    assert "Stadtverwaltung Gera" not in client.get("/land/foerderung/").content.decode()
    assert "Gera" not in client.get("/land/foerderung/bericht.csv?tabelle=offen").content.decode()
