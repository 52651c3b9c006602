"""The demo harvests one real catalogue dump, so /daten/ and the CKAN API have real content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from verbund.opendata import demo
from verbund.opendata.models import Dataset, HarvestSource
from verbund.opendata.tests.test_harvest import counted_with_rdflib, stored

pytestmark = pytest.mark.django_db


def test_demo_harvests_the_configured_catalogue_once(
    client: Client, settings: Any, shared_data: Path
) -> None:
    # given: the suite's settings leave the catalogue out; the demo's default is Destatis
    settings.VERBUND_DEMO_CATALOGUE = "destatis"
    expected = counted_with_rdflib(shared_data / "dcat" / "catalogues" / "destatis.rdf")
    # when
    said: list[str] = []
    demo.load(out=said.append)
    demo.load(out=said.append)
    # then: harvested completely, the second load changes nothing
    source = HarvestSource.objects.get(name="demo-destatis")
    assert stored(source) == expected
    assert said[1] == f"Katalog destatis.rdf geerntet: {expected[0]} Datensätze mit " + (
        f"{expected[1]} Distributionen ({expected[0]} neu)."
    )
    assert said[3].endswith("(0 neu).")
    # and the CKAN API and the dataset page show it, saying where it came from
    search = client.get(
        "/api/3/action/package_search", {"fq": f"organization:{source.authority.slug}"}
    ).json()["result"]
    assert search["count"] >= expected[0]
    dataset = Dataset.objects.filter(harvest_source=source).first()
    assert dataset is not None
    page = client.get(f"/daten/{dataset.name}/").content.decode()
    assert "geerntet aus: Beispielkatalog destatis.rdf (Demo" in page


def test_demo_without_catalogue_harvests_nothing(settings: Any) -> None:
    settings.VERBUND_DEMO_CATALOGUE = ""
    said: list[str] = []
    demo.load(out=said.append)
    assert not HarvestSource.objects.filter(name__startswith="demo-").exists()
    assert len(said) == 1
