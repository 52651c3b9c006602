"""A NUL character (U+0000) in a request is refused with a clear answer on every database:
PostgreSQL text columns cannot hold it (the fuzzer's `POST /api/v1/submissions` with a NUL in
the JSON body was a 500 there), SQLite would store it."""

from __future__ import annotations

import json

import pytest

from verbund.core.request_text import find_nul

pytestmark = pytest.mark.django_db


def test_find_nul_names_the_path_of_the_first_nul_in_keys_and_values():
    assert find_nul({"a": ["x", {"b": "y\x00"}]}) == "a.1.b"
    assert find_nul({"k\x00": 1}) == "k\x00"
    assert find_nul(["ok", 3, None, True]) is None
    assert find_nul("\x00") == "body"


def test_a_json_body_with_a_nul_gets_422_problem_details_naming_the_field(client):
    body = {"serviceIdentifier": "urn:de:fim:leika:leistung:99\x00", "destinationId": "x"}
    response = client.post(
        "/api/v1/submissions",
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT_ENCODING="identity",
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "nul_character"
    assert problem["field"] == "serviceIdentifier"


def test_a_nul_in_an_api_query_or_path_gets_422_problem_details(client):
    by_query = client.get("/api/v1/services", {"q": "pass\x00"}, HTTP_ACCEPT_ENCODING="identity")
    assert by_query.status_code == 422
    assert by_query.json()["code"] == "nul_character"
    by_path = client.get("/api/v1/services/a%00b", HTTP_ACCEPT_ENCODING="identity")
    assert by_path.status_code == 422
    assert by_path.json()["code"] == "nul_character"


def test_a_nul_in_a_page_query_or_path_gets_the_german_400_page(client):
    for url in ("/leistungen/?q=Hund%00", "/leistungen/hund%00/zustaendigkeit?plz=99084"):
        response = client.get(url, HTTP_ACCEPT_ENCODING="identity")
        assert response.status_code == 400, url
        assert "Nullzeichen" in response.content.decode()
