"""The CKAN-compatible Action API: shapes of CKAN 2.10, and a round trip with `ckanapi`."""

from __future__ import annotations

import io
import json
from collections import Counter

import ckanapi
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from verbund.opendata import actions, rules
from verbund.opendata.ckan_packages import package_dicts
from verbund.opendata.dcat import Urls
from verbund.opendata.models import Dataset, DatasetStatus

pytestmark = pytest.mark.django_db


def call(client: Client, action: str, prefix: str = "/api/3/action/", **params: str) -> tuple:
    response = client.get(f"{prefix}{action}", params)
    return response.status_code, response.json()


def published() -> int:
    return Dataset.objects.filter(status=DatasetStatus.PUBLISHED).count()


def draft_beside(dataset: Dataset) -> Dataset:
    """A new, unpublished dataset of the same authority and licence."""
    return actions.create_dataset(
        authority=dataset.authority,
        title="Parkplätze",
        description="Parkplätze der Stadt",
        licence=dataset.licence,
        actor="test",
    )


def test_both_prefixes_answer_in_ckan_shape(client: Client) -> None:
    for prefix in ("/api/3/action/", "/api/action/"):
        status, body = call(client, "package_list", prefix)
        assert status == 200
        assert set(body) == {"help", "success", "result"} and body["success"] is True
        assert body["help"].endswith("/api/3/action/help_show?name=package_list")
        assert sorted(body["result"]) == body["result"] and len(body["result"]) == published()


def test_errors_have_ckan_types_and_status(client: Client) -> None:
    status, body = call(client, "package_show", id="gibt-es-nicht")
    assert (status, body["success"], body["error"]["__type"]) == (404, False, "Not Found Error")
    status, body = call(client, "package_show")
    assert (status, body["error"]["__type"]) == (409, "Validation Error")
    assert "id" in body["error"]
    status, body = call(client, "package_create")
    assert (status, body["error"]["__type"]) == (400, "Bad request")
    status, body = call(client, "package_search", rows="viele")
    assert (status, body["error"]["__type"]) == (409, "Validation Error")
    status, body = call(client, "package_search", sort="zufall desc")
    assert (status, body["error"]["__type"]) == (409, "Search Query Error")
    response = client.post(
        "/api/3/action/package_show", data="[1]", content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["success"] is False


def test_search_filters_facets_and_pages(client: Client) -> None:
    # given: two demo datasets of Erfurt, one of them under dl-zero-de/2.0
    status, body = call(
        client,
        "package_search",
        fq="organization:" + Dataset.objects.get(name="erfurt-haushaltsplan-2026").authority.slug,
        **{"facet.field": json.dumps(["license_id", "groups", "res_format", "tags"])},
    )
    result = body["result"]
    assert status == 200 and result["count"] == 2
    assert result["facets"]["license_id"] == {
        "http://dcat-ap.de/def/licenses/dl-by-de/2.0": 1,
        "http://dcat-ap.de/def/licenses/dl-zero-de/2.0": 1,
    }
    assert result["facets"]["res_format"] == {"CSV": 2, "HTML": 1}
    assert result["search_facets"]["groups"]["items"][0]["count"] >= 1
    # free text and paging
    status, body = call(client, "package_search", q="haushalt")
    assert [r["name"] for r in body["result"]["results"]] == ["erfurt-haushaltsplan-2026"]
    first = call(client, "package_search", rows="2", start="0", sort="name asc")[1]["result"]
    second = call(client, "package_search", rows="2", start="2", sort="name asc")[1]["result"]
    names = [r["name"] for r in first["results"] + second["results"]]
    assert names == sorted(names) and len(set(names)) == 4
    status, body = call(client, "package_search", fq='groups:envi -res_format:"PDF"')
    assert [r["name"] for r in body["result"]["results"]] == ["eichsfeld-badegewaesser"]


def test_facets_count_each_dataset_once_per_value(client: Client) -> None:
    # given: a second CSV for one dataset (its format still counts once) and a PDF for another
    budget = Dataset.objects.get(name="erfurt-haushaltsplan-2026")
    kitas = Dataset.objects.get(name="erfurt-kindertageseinrichtungen")
    actions.add_url_distribution(
        dataset=budget, access_url="https://erfurt.example/b.csv", format="CSV", actor="test"
    )
    pdf = actions.add_url_distribution(
        dataset=kitas, access_url="https://erfurt.example/k.pdf", format="PDF", actor="test"
    )
    fields = ["organization", "groups", "res_format", "license_id", "tags"]
    # when
    _, body = call(client, "package_search", rows="0", **{"facet.field": json.dumps(fields)})
    # then: the counts a plain walk over the published datasets gives
    expected: dict[str, Counter[str]] = {field: Counter() for field in fields}
    for dataset in Dataset.objects.filter(status=DatasetStatus.PUBLISHED):
        expected["organization"][dataset.authority.slug] += 1
        expected["groups"].update(t.lower() for t in dataset.themes)
        expected["license_id"][rules.licence_uri(dataset.licence)] += 1
        expected["tags"].update({k.lower() for k in dataset.keywords})
        expected["res_format"].update(
            {d.format.upper() for d in dataset.distributions.all() if d.format}
        )
    assert body["result"]["facets"] == {f: dict(c) for f, c in expected.items()}
    assert expected["res_format"]["PDF"] >= 1
    assert body["result"]["count"] == published()
    # when: the PDF goes again, the format filter no longer finds the dataset
    found = call(client, "package_search", fq="res_format:pdf", rows="100")[1]["result"]
    assert kitas.name in [r["name"] for r in found["results"]]
    actions.remove_distribution(distribution=pdf, actor="test")
    found = call(client, "package_search", fq="res_format:pdf", rows="100")[1]["result"]
    assert kitas.name not in [r["name"] for r in found["results"]]


def test_cached_counts_change_at_once_when_a_dataset_is_published_or_withdrawn(
    client: Client,
) -> None:
    # given: the counts of a search, asked twice (the second answer from the cache)
    params = {"rows": "0", "facet.field": json.dumps(["organization", "res_format"])}
    budget = Dataset.objects.get(name="erfurt-haushaltsplan-2026")
    slug = budget.authority.slug
    before = call(client, "package_search", **params)[1]["result"]
    with CaptureQueriesContext(connection) as repeated:
        assert call(client, "package_search", **params)[1]["result"] == before
    assert not [q for q in repeated.captured_queries if "GROUP BY" in q["sql"]]
    assert "XLSX" not in before["facets"]["res_format"]
    draft = draft_beside(budget)
    actions.add_url_distribution(
        dataset=draft, access_url="https://erfurt.example/p.xlsx", format="XLSX", actor="test"
    )
    assert call(client, "package_search", **params)[1]["result"] == before  # a draft
    # when: it is published
    actions.publish_dataset(dataset=draft, actor="test")
    # then: the counts at once
    after = call(client, "package_search", **params)[1]["result"]
    assert after["count"] == before["count"] + 1 == published()
    assert after["facets"]["organization"][slug] == before["facets"]["organization"][slug] + 1
    assert after["facets"]["res_format"]["XLSX"] == 1
    items = after["search_facets"]["res_format"]["items"]
    assert {"name": "XLSX", "display_name": "XLSX", "count": 1} in items
    # when: withdrawn, the counts are those before again
    actions.withdraw_dataset(dataset=draft, actor="test")
    assert call(client, "package_search", **params)[1]["result"] == before


def test_a_page_of_packages_takes_the_same_queries_however_many_it_holds(
    client: Client,
) -> None:
    # given: a dataset with three distributions, and the search's counts already cached
    kitas = Dataset.objects.get(name="erfurt-kindertageseinrichtungen")
    for fmt in ("PDF", "JSON"):
        actions.add_url_distribution(
            dataset=kitas, access_url=f"https://erfurt.example/k.{fmt}", format=fmt, actor="test"
        )
    call(client, "package_search", rows="0", sort="name asc")
    # when: a page of one package and one of all
    with CaptureQueriesContext(connection) as one:
        call(client, "package_search", rows="1", sort="name asc")
    with CaptureQueriesContext(connection) as every:
        _, body = call(client, "package_search", rows="1000", sort="name asc")
    # then: the same number of queries, and each package as package_show gives it
    assert len(every.captured_queries) == len(one.captured_queries) <= 5
    results = body["result"]["results"]
    assert len(results) == published() >= 5
    for package in results:
        assert call(client, "package_show", id=package["id"])[1]["result"] == package
    formats = [
        r["format"] for r in next(p for p in results if p["name"] == kitas.name)["resources"]
    ]
    assert formats[1:] == ["PDF", "JSON"]


def test_packages_leave_out_datasets_that_are_not_published() -> None:
    budget = Dataset.objects.get(name="erfurt-haushaltsplan-2026")
    draft = draft_beside(budget)
    packages = package_dicts([draft.pk, budget.pk], Urls("https://verbund.example"))
    assert [p["name"] for p in packages] == [budget.name]


def test_package_show_carries_resources_with_size_and_hash(client: Client) -> None:
    _, body = call(client, "package_show", id="erfurt-kindertageseinrichtungen")
    package = body["result"]
    assert package["organization"]["title"] == "Stadtverwaltung Erfurt"
    csv = package["resources"][0]
    assert csv["format"] == "CSV" and csv["size"] > 0 and len(csv["hash"]) == 64
    download = client.get(csv["url"].removeprefix("http://testserver"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"name;traeger;plaetze")


@pytest.mark.django_db(transaction=True)
def test_ckanapi_round_trip_against_a_live_server(live_server) -> None:  # type: ignore[no-untyped-def]
    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    ckan = ckanapi.RemoteCKAN(live_server.url, user_agent="verbund-test/1.0")
    status = ckan.action.status_show()
    assert status["ckan_version"].startswith("2.10")
    names = ckan.action.package_list()
    assert len(names) == published() >= 5
    package = ckan.action.package_show(id=names[0])
    assert package["name"] == names[0] and package["resources"]
    search = ckan.action.package_search(
        q="", rows=2, start=0, sort="name asc", **{"facet.field": '["organization","groups"]'}
    )
    assert search["count"] == len(names)
    assert [p["name"] for p in search["results"]] == sorted(names)[:2]
    assert sum(search["facets"]["organization"].values()) == len(names)
    orgs = ckan.action.organization_list(all_fields=True)
    assert sum(o["package_count"] for o in orgs) == len(names)
    assert ckan.action.organization_show(id=orgs[0]["name"])["name"] == orgs[0]["name"]
    assert "educ" in ckan.action.group_list()
    assert "Kita" in ckan.action.tag_list()
    assert any(lic["id"].endswith("dl-by-de/2.0") for lic in ckan.action.license_list())
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="gibt-es-nicht")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(rows="viele")
