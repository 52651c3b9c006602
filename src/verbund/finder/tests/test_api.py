"""The API contract of GET /api/v1/finder (issue 3) and the pages."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/finder"


def get(client, **params):  # type: ignore[no-untyped-def]
    return client.get(URL, params)


def test_answer_has_the_contract_fields(client):
    response = get(client, service="wohnsitz-anmelden", ags="16074081")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"service", "authority", "basis", "explanation", "candidates"}
    assert body["service"]["slug"] == "wohnsitz-anmelden"
    authority = body["authority"]
    assert set(authority) >= {"id", "name", "kind", "gebiet", "address", "contact"}
    assert authority["gebiet"] == {
        "ars": "160745050094",
        "ags": "16074094",
        "name": "Stadtroda, Stadt",
        "type": "stadt",
        "level": "gemeinde",
    }
    assert body["basis"] == "erfuellende_gemeinde"
    assert body["explanation"].startswith("Stadtroda ist erfüllende Gemeinde")
    assert body["candidates"] == []
    assert authority["contact"]["opening_hours"]


@pytest.mark.parametrize(
    ("params", "ars"),
    [
        ({"service": "hundesteuer-anmelden", "ags": "16074022"}, "160745007000"),  # VG
        ({"service": "kfz-zulassung", "ags": "16070029"}, "160700000000"),  # Kreis
        ({"service": "kfz-zulassung", "ars": "160510000000"}, "160510000000"),  # kreisfrei
        ({"service": "blindengeld", "plz": "98693", "ort": "Martinroda"}, "160000000000"),
    ],
)
def test_gebiet_keys_of_vg_kreis_and_land(client, params, ars):
    body = get(client, **params).json()
    assert body["authority"]["gebiet"]["ars"] == ars


def test_ambiguous_plz_returns_candidates(client):
    body = get(client, service="wohnsitz-anmelden", plz="98693").json()
    assert body["authority"] is None
    assert body["basis"] == "ambiguous_place"
    assert {"ags": "16070029", "name": "Ilmenau"} in body["candidates"]
    assert all(set(c) == {"ags", "name"} for c in body["candidates"])
    chosen = get(client, service="wohnsitz-anmelden", plz="98693", ort="Ilmenau").json()
    assert chosen["authority"]["gebiet"]["ags"] == "16070029" and chosen["candidates"] == []


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"service": "gibt-es-nicht", "ags": "16074081"}, 404, "unknown_service"),
        ({"service": "wohnsitz-anmelden", "ags": "16999999"}, 404, "unknown_ags"),
        ({"service": "wohnsitz-anmelden", "ars": "169999999999"}, 404, "unknown_ars"),
        ({"service": "wohnsitz-anmelden", "plz": "99999"}, 404, "unknown_plz"),
        ({"service": "wohnsitz-anmelden", "ags": "1607408"}, 422, "invalid_ags"),
        ({"service": "wohnsitz-anmelden", "ags": "abcdefgh"}, 422, "invalid_ags"),
        ({"service": "wohnsitz-anmelden", "ars": "16"}, 422, "invalid_ars"),
        ({"service": "wohnsitz-anmelden", "plz": "7646"}, 422, "invalid_plz"),
        ({"service": "wohnsitz-anmelden"}, 422, "place_missing"),
        ({"ags": "16074081"}, 422, "validation_error"),
        ({"service": "Wohnsitz anmelden!", "ags": "16074081"}, 422, "validation_error"),
        ({"service": "wohnsitz-anmelden", "plz": "07646", "ort": "x" * 500}, 422, "invalid_ort"),
    ],
)
def test_errors_are_problem_json(client, params, status, code):
    response = get(client, **params)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_documented_in_openapi(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/finder"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"service", "ags", "ars", "plz", "ort"}
    assert {"200", "404", "422"} <= set(operation["responses"])


def test_service_page_form_leads_to_the_finder_page(client):
    html = client.get("/leistungen/wohnsitz-anmelden/").content.decode()
    assert 'action="/leistungen/wohnsitz-anmelden/zustaendigkeit"' in html
    page = client.get("/leistungen/wohnsitz-anmelden/zustaendigkeit", {"plz": "07646"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Bitte wählen Sie Ihren Ort" in html
    assert 'type="radio" name="ags" id="ags-16074094" value="16074094"' in html
    assert "<script" not in html


def test_finder_page_shows_authority_contact_and_reason(client):
    page = client.get("/leistungen/hundesteuer-anmelden/zustaendigkeit", {"ags": "16074081"})
    html = page.content.decode()
    assert "Zuständig: Gemeinde Ruttersdorf-Lotschen" in html
    assert "eigenen Wirkungskreis" in html
    assert "Öffnungszeiten" in html and "Besucheranschrift" in html
    assert 'href="/behoerden/gemeinde-ruttersdorf-lotschen-16074081/"' in html


def test_finder_page_errors_are_announced(client):
    page = client.get("/leistungen/wohnsitz-anmelden/zustaendigkeit", {"plz": "12"})
    assert page.status_code == 422
    html = page.content.decode()
    assert 'role="alert"' in html and 'aria-describedby="finder-plz-error"' in html
    assert 'href="#finder-plz"' in html and 'aria-invalid="true"' in html
    assert client.get("/leistungen/gibt-es-nicht/zustaendigkeit").status_code == 404


def test_finder_empty_plz_says_what_is_missing(client):
    first = client.get("/leistungen/wohnsitz-anmelden/zustaendigkeit").content.decode()
    assert 'role="alert"' not in first
    page = client.get("/leistungen/wohnsitz-anmelden/zustaendigkeit", {"plz": "", "ort": ""})
    assert page.status_code == 422
    html = page.content.decode()
    assert 'id="fehler"' in html
    assert (
        '<a class="kern-link" href="#finder-plz">'
        "Bitte geben Sie Ihre Postleitzahl oder Ihren Ort ein.</a>" in html
    )
    assert 'id="finder-plz-error"' in html and 'aria-describedby="finder-plz-error"' in html


def test_finder_page_in_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/leistungen/wohnsitz-anmelden/zustaendigkeit", {"ags": "16074022"})
    html = page.content.decode()
    assert "Who is responsible?" in html
    assert "belongs to the administrative community" in html


def test_land_editor_records_a_zustaendigkeit_in_the_admin(login_staff, client):
    from django.contrib.auth.models import Permission

    from verbund.accounts.models import User
    from verbund.authorities.models import Authority
    from verbund.catalogue.models import Service
    from verbund.core.models import AuditEntry
    from verbund.gebiete.models import Gebiet

    editor = User.objects.create_user("redaktion", password="x", is_staff=True, kind="operator")
    editor.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="finder", codename__endswith="_zustaendigkeit"
        )
    )
    login_staff(client, editor)
    listing = client.get("/admin/finder/zustaendigkeit/")
    assert listing.status_code == 200
    assert "Thüringer Landesverwaltungsamt" in listing.content.decode()
    gemeinde = Gebiet.objects.get(level="gemeinde", key="16070029")
    authority = Authority.objects.get(gebiet=gemeinde)
    response = client.post(
        "/admin/finder/zustaendigkeit/add/",
        {
            "service": Service.objects.get(slug="kfz-zulassung").pk,
            "authority": authority.pk,
            "gebiet": gemeinde.pk,
            "note": "Zulassungsstelle der Stadt",
        },
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="finder.zustaendigkeit_created").exists()
    body = client.get(URL, {"service": "kfz-zulassung", "ags": "16070029"}).json()
    assert body["basis"] == "zustaendigkeit" and body["authority"]["id"] == authority.pk


def test_answers_match_the_documented_schema(client):
    from verbund.finder.api import FinderAnswer

    for params in (
        {"service": "wohnsitz-anmelden", "plz": "07646"},
        {"service": "kindergeld", "ags": "16051000"},
        {"service": "wohnsitz-anmelden", "ort": "Stadtroda"},
    ):
        body = get(client, **params).json()
        assert FinderAnswer.model_validate(body).model_dump() == body
