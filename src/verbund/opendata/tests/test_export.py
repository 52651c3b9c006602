"""The DCAT-AP.de export of the demo catalogue: conforms to the shapes, pages, streams."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF

from verbund.opendata.models import Dataset, DatasetStatus
from verbund.opendata.tests.shapes import SHAPE_SETS, load_shapes, violations

pytestmark = pytest.mark.django_db

RDFLIB_FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}


def fetch(client: Client, url: str, ext: str) -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return Graph().parse(data=body.decode(), format=RDFLIB_FORMATS[ext])


@pytest.mark.parametrize("shape_set", SHAPE_SETS)
def test_demo_catalogue_conforms_to_the_dcat_ap_de_shapes(
    client: Client, shared_data: Path, shape_set: str
) -> None:
    # given: the demo catalogue (load-demo published it)
    published = Dataset.objects.filter(status=DatasetStatus.PUBLISHED).count()
    assert published >= 5
    # when
    profile = "" if shape_set == "shapes-v3.0" else "?profil=2.0"
    graph = fetch(client, f"/daten/katalog.ttl{profile}", "ttl")
    # then
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == published
    assert violations(graph, load_shapes(shared_data, shape_set)) == []


@pytest.mark.parametrize("ext", ["ttl", "rdf", "jsonld"])
def test_every_format_carries_the_same_triples(client: Client, ext: str) -> None:
    turtle = fetch(client, "/daten/katalog.ttl", "ttl")
    other = fetch(client, f"/daten/katalog.{ext}", ext)
    assert len(other) == len(turtle)
    assert set(other.subjects(RDF.type, DCAT.Dataset)) == set(
        turtle.subjects(RDF.type, DCAT.Dataset)
    )


def test_catalogue_pages_follow_hydra(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.VERBUND_OPENDATA_PAGE_SIZE = 2
    total = Dataset.objects.filter(status=DatasetStatus.PUBLISHED).count()
    hydra = "http://www.w3.org/ns/hydra/core#"
    seen: set[URIRef] = set()
    for number in range(1, (total + 1) // 2 + 1):
        graph = fetch(client, f"/daten/katalog.ttl?page={number}", "ttl")
        datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
        assert 1 <= len(datasets) <= 2
        seen |= {URIRef(d) for d in datasets}
        view = URIRef(f"http://testserver/daten/katalog.ttl?page={number}")
        assert int(graph.value(view, URIRef(hydra + "totalItems"))) == total  # type: ignore[arg-type]
    assert len(seen) == total
    assert client.get(f"/daten/katalog.ttl?page={total}").status_code == 404
    assert client.get("/daten/katalog.ttl?page=null").status_code == 400


def test_dataset_export_and_unpublished_is_404(client: Client) -> None:
    dataset = Dataset.objects.filter(status=DatasetStatus.PUBLISHED).first()
    assert dataset is not None
    graph = fetch(client, f"/daten/{dataset.name}.jsonld", "jsonld")
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {
        URIRef(f"http://testserver/daten/{dataset.name}")
    }
    Dataset.objects.filter(pk=dataset.pk).update(status=DatasetStatus.DRAFT)
    assert client.get(f"/daten/{dataset.name}.ttl").status_code == 404
