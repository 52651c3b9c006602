"""Bad input to the CKAN-compatible Action API gets CKAN's error shapes, never a crash."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HUGE = "9" * 20  # beyond 64 bits


@pytest.mark.parametrize(
    ("action", "params", "expected"),
    [
        ("package_search", {"start": HUGE}, "past_the_end"),
        ("package_search", {"rows": HUGE}, "some"),
        ("package_search", {"facet.limit": HUGE, "facet.field": '["tags"]'}, "some"),
        ("package_list", {"offset": HUGE}, "past_the_end"),
        ("package_list", {"limit": HUGE}, "some"),
        ("organization_list", {"offset": HUGE}, "past_the_end"),
        ("organization_list", {"limit": HUGE, "all_fields": "true"}, "some"),
        ("group_list", {"offset": HUGE}, "any"),
        ("tag_list", {"limit": HUGE}, "any"),
    ],
)
def test_offsets_and_limits_beyond_64_bits_are_answered(
    client: Client, action: str, params: dict[str, str], expected: str
) -> None:
    response = client.get(f"/api/3/action/{action}", params)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["success"] is True
    result = body["result"]
    items = result["results"] if action == "package_search" else result
    if expected == "past_the_end":
        assert items == []
    elif expected == "some":
        assert items


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "-1"}, "start", "Must be a natural number"),
        ({"rows": "zehn"}, "rows", "Invalid integer"),
    ],
)
def test_malformed_numbers_are_validation_errors(
    client: Client, params: dict[str, str], field: str, message: str
) -> None:
    response = client.get("/api/3/action/package_search", params)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["__type"] == "Validation Error"
    assert error[field] == [message]
