"""Harvesting the real catalogue dumps in ../shared/data/dcat/catalogues/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rdflib import Graph, Literal
from rdflib.namespace import DCAT, DCTERMS, RDF

from verbund.authorities.models import Authority
from verbund.core.errors import InvalidSourceFile
from verbund.opendata.harvest import harvest, source_for
from verbund.opendata.models import Dataset, Distribution, HarvestSource
from verbund.opendata.tests.shapes import load_shapes, violations

pytestmark = pytest.mark.django_db

CATALOGUES = ["rostock", "bremen", "brandenburg", "destatis"]


def counted_with_rdflib(path: Path) -> tuple[int, int]:
    graph = Graph().parse(path, format="xml")
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    distributions = {(d, x) for d in datasets for x in graph.objects(d, DCAT.distribution)}
    return len(datasets), len(distributions)


def source(shared_data: Path, name: str) -> HarvestSource:
    authority = Authority.objects.get(slug="tlvwa")
    return source_for(
        url=str(shared_data / "dcat" / "catalogues" / f"{name}.rdf"), authority=authority
    )


def stored(source: HarvestSource) -> tuple[int, int]:
    datasets = Dataset.objects.filter(harvest_source=source)
    return datasets.count(), Distribution.objects.filter(dataset__in=datasets).count()


@pytest.mark.parametrize("name", CATALOGUES)
def test_harvest_imports_every_dataset_and_distribution(shared_data: Path, name: str) -> None:
    # given
    path = shared_data / "dcat" / "catalogues" / f"{name}.rdf"
    expected = counted_with_rdflib(path)
    # when
    out = io.StringIO()
    call_command("harvest", str(path), "--authority", "tlvwa", stdout=out)
    # then
    harvested = HarvestSource.objects.get(url=str(path))
    assert stored(harvested) == expected
    assert f"{expected[0]} Datensätze mit {expected[1]} Distributionen" in out.getvalue()
    assert not [e for e in harvested.runs.get().errors if e["level"] == "error"]


def test_re_harvest_of_an_unchanged_source_changes_nothing(shared_data: Path) -> None:
    harvested = source(shared_data, "bremen")
    first = harvest(source=harvested, actor="test").run
    before = dict(Dataset.objects.filter(harvest_source=harvested).values_list("pk", "updated_at"))
    again = harvest(source=harvested, actor="test").run
    assert (first.created, again.created, again.updated, again.deleted) == (153, 0, 0, 0)
    assert again.unchanged == 153
    after = dict(Dataset.objects.filter(harvest_source=harvested).values_list("pk", "updated_at"))
    assert after == before


def test_a_changed_source_updates_exactly_the_changed_datasets(shared_data: Path) -> None:
    # given: Destatis harvested, then one title changed and one dataset withdrawn
    harvested = source(shared_data, "destatis")
    harvest(source=harvested, actor="test")
    graph = Graph().parse(harvested.url, format="xml")
    changed, withdrawn, *_ = sorted(graph.subjects(RDF.type, DCAT.Dataset), key=str)
    graph.set((changed, DCTERMS.title, Literal("Neuer Titel", lang="de")))
    graph.remove((withdrawn, None, None))
    # when
    run = harvest(source=harvested, actor="test", data=graph.serialize(format="xml").encode()).run
    # then
    assert (run.created, run.updated, run.deleted, run.unchanged) == (0, 1, 1, 133)
    assert Dataset.objects.get(harvest_source=harvested, source_uri=str(changed)).title == (
        "Neuer Titel"
    )
    assert not Dataset.objects.filter(source_uri=str(withdrawn)).exists()


def test_a_record_without_title_is_reported_the_others_imported(shared_data: Path) -> None:
    harvested = source(shared_data, "destatis")
    graph = Graph().parse(harvested.url, format="xml")
    broken = sorted(graph.subjects(RDF.type, DCAT.Dataset), key=str)[0]
    graph.remove((broken, DCTERMS.title, None))
    run = harvest(source=harvested, actor="test", data=graph.serialize(format="xml").encode()).run
    assert run.created == 134
    assert [e["record"] for e in run.errors if e["level"] == "error"] == [str(broken)]


def test_bad_rdf_is_rejected_naming_the_line(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / "dcat" / "catalogues" / "destatis.rdf").read_bytes()
    lines = data.splitlines(keepends=True)
    broken = tmp_path / "kaputt.rdf"
    broken.write_bytes(b"".join(lines[:40]) + b"<dct:title>offen\n" + b"".join(lines[40:60]))
    with pytest.raises(CommandError, match=r"Zeile \d+: Kein gültiges RDF/XML"):
        call_command("harvest", str(broken), "--authority", "tlvwa", stdout=io.StringIO())
    turtle = tmp_path / "kaputt.ttl"
    turtle.write_text(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\n<a> a dcat:Dataset ;\n  dcat:x .\n"
    )
    harvested = source_for(url=str(turtle), authority=Authority.objects.get(slug="tlvwa"))
    with pytest.raises(InvalidSourceFile, match=r"Zeile 4: Kein gültiges Turtle"):
        harvest(source=harvested, actor="test")
    assert not Dataset.objects.filter(harvest_source__url__startswith=str(tmp_path)).exists()


@pytest.mark.parametrize("name", CATALOGUES)
def test_harvested_catalogue_re_exports_conforming_to_the_shapes(
    client: Client, shared_data: Path, name: str
) -> None:
    # given: only the harvested catalogue is published
    Dataset.objects.all().delete()
    run = harvest(source=source(shared_data, name), actor="test").run
    for shape_set, profile in (("shapes-v3.0", ""), ("shapes-v2.0", "?profil=2.0")):
        # when
        response = client.get(f"/daten/katalog.ttl{profile}")
        graph = Graph().parse(data=b"".join(response.streaming_content).decode(), format="turtle")
        found = violations(graph, load_shapes(shared_data, shape_set))
        # then: none, except where the source names its licence in words (Brandenburg,
        # "Nutzungsbedingungen der LHP"), which the harvest reported
        if name == "brandenburg":
            assert found and all("license" in v for v in found)
            assert any("Keine Lizenz" in e["message"] for e in run.errors)
        else:
            assert found == []


def test_scheduled_sources_are_harvested_through_the_task_queue(shared_data: Path) -> None:
    from verbund.core import tasks

    harvested = source(shared_data, "destatis")
    HarvestSource.objects.filter(pk=harvested.pk).update(scheduled=True)
    out = io.StringIO()
    call_command("harvest", "--scheduled", stdout=out)
    assert "1 Quellen" in out.getvalue()
    assert tasks.run_pending() == 1
    assert stored(harvested) == counted_with_rdflib(Path(harvested.url))
