import pytest

pytestmark = pytest.mark.django_db


def test_gemeinde_contract(client):
    response = client.get("/api/v1/gebiete/16061001")
    assert response.status_code == 200
    body = response.json()
    assert body["ags"] == "16061001"
    assert body["ars"] == "160615008001"
    assert body["name"] == "Arenshausen"
    assert body["type"] == "gemeinde"
    assert body["population"] > 0
    assert body["kreis"] == {"ags": "16061", "name": "Eichsfeld"}
    assert body["verband"]["key"] == "160615008"
    assert body["verband"]["name"] == "Hanstein-Rusteberg"
    assert body["verband"]["type"] == "verwaltungsgemeinschaft"
    assert "37318" in body["plz"]
    assert body["gebietsstand"] == "2023-11-30"


def test_verbandsfreie_gemeinde_has_no_verband(client):
    body = client.get("/api/v1/gebiete/16070029").json()  # Ilmenau
    assert body["verband"] is None
    assert body["ars"] == "160700029029"


def test_erfuellende_gemeinde_member(client):
    body = client.get("/api/v1/gebiete/16074081").json()  # Ruttersdorf-Lotschen
    assert body["verband"]["type"] == "erfuellende_gemeinde"
    assert body["verband"]["erfuellende_gemeinde"] == "16074094"


@pytest.mark.parametrize(
    ("ags", "status", "code"),
    [
        ("16099999", 404, "unknown_ags"),
        ("1606100", 422, "invalid_ags"),
        ("abcdefgh", 422, "invalid_ags"),
        ("160610011", 422, "invalid_ags"),
    ],
)
def test_bad_ags_gets_json_error(client, ags, status, code):
    response = client.get(f"/api/v1/gebiete/{ags}")
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code and body["title"]


def test_gemeinden_for_plz(client):
    body = client.get("/api/v1/gebiete", {"plz": "37318"}).json()
    names = {item["name"] for item in body["items"]}
    assert "Arenshausen" in names and len(names) == body["count"] > 5
    narrowed = client.get("/api/v1/gebiete", {"plz": "37318", "ort": "Arenshausen"}).json()
    assert [i["ags"] for i in narrowed["items"]] == ["16061001"]


@pytest.mark.parametrize("params", [{"plz": "3731"}, {"plz": "abcde"}, {}])
def test_bad_plz_query_is_422(client, params):
    response = client.get("/api/v1/gebiete", params)
    assert response.status_code == 422
    assert response.json()["code"] in {"invalid_plz", "validation_error"}


def test_unknown_plz_gives_empty_list(client):
    assert client.get("/api/v1/gebiete", {"plz": "00001"}).json() == {"items": [], "count": 0}
