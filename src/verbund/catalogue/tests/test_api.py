"""The public API contract: /api/v1/services."""

import pytest

pytestmark = pytest.mark.django_db


def test_search_answers_items_best_first(client):
    response = client.get("/api/v1/services", {"q": "hund angeschafft"})
    assert response.status_code == 200
    items = response.json()["items"]
    assert 1 <= len(items) <= 10
    assert set(items[0]) == {"slug", "leika_key", "name", "level", "score"}
    assert items[0]["slug"] == "hundesteuer-anmelden"
    assert items[0]["leika_key"] == "99102013104000"
    assert items[0]["level"] == "gemeinde"
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)


def test_limit_defaults_to_10_and_allows_50(client):
    assert len(client.get("/api/v1/services", {"q": "Ausweis"}).json()["items"]) == 10
    assert len(client.get("/api/v1/services", {"q": "Ausweis", "limit": 50}).json()["items"]) == 50
    assert len(client.get("/api/v1/services", {"q": "Ausweis", "limit": 3}).json()["items"]) == 3


@pytest.mark.parametrize(
    "params",
    [
        {"q": "Ausweis", "limit": 51},
        {"q": "Ausweis", "limit": 0},
        {"q": "Ausweis", "limit": "viele"},
        {"q": ""},
        {},
        {"q": "x" * 201},
    ],
)
def test_malformed_search_is_422_problem(client, params):
    response = client.get("/api/v1/services", params)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"


def test_a_query_that_finds_nothing_is_an_empty_list(client):
    response = client.get("/api/v1/services", {"q": "xqzvbnm"})
    assert response.status_code == 200 and response.json() == {"items": []}


def test_service_detail_has_every_text(client):
    response = client.get("/api/v1/services/wohnsitz-anmelden")
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "wohnsitz-anmelden"
    assert body["leika_key"] == "99115005104000"
    assert body["level"] == "gemeinde" and body["wirkungskreis"] == "uebertragen"
    assert body["short_text"] and body["full_text"] and body["costs"]
    assert any("Wohnungsgeberbestätigung" in d for d in body["required_documents"])
    assert body["ozg_leistung"]["ozg_id"] == 10124
    assert {"slug": "umzug", "title": "Umzug", "ozg_id": 55} in body["lebenslagen"]
    assert "register address" in body["english_terms"]


def test_unknown_service_is_404_problem(client):
    response = client.get("/api/v1/services/gibt-es-nicht")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "unknown_service"


@pytest.mark.parametrize("slug", ["Groß", "a%20b", "-x", "x" * 81])
def test_malformed_slug_is_422(client, slug):
    response = client.get(f"/api/v1/services/{slug}")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_lebenslagen_api(client):
    listing = client.get("/api/v1/lebenslagen").json()
    assert any(x["slug"] == "umzug" for x in listing)
    umzug = client.get("/api/v1/lebenslagen/umzug").json()
    assert umzug["services"][0]["slug"] == "wohnsitz-anmelden"
    assert client.get("/api/v1/lebenslagen/gibt-es-nicht").status_code == 404


def test_openapi_documents_the_contract(client):
    schema = client.get("/api/v1/openapi.json").json()
    search = schema["paths"]["/api/v1/services"]["get"]
    assert {"200", "422"} <= set(search["responses"])
    params = {p["name"]: p for p in search["parameters"]}
    assert params["q"]["required"] is True
    assert params["limit"]["schema"]["maximum"] == 50
    detail = schema["paths"]["/api/v1/services/{slug}"]["get"]
    assert {"200", "404", "422"} <= set(detail["responses"])
