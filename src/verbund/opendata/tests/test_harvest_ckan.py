"""Harvesting a CKAN Action API: the platform's own /api/3/action/ of a running installation,
and a recorded response set in the shapes of a CKAN 2.10 portal with ckanext-dcatde."""

from __future__ import annotations

import copy
import io
import ipaddress
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from rdflib import Graph
from rdflib.namespace import DCAT, RDF

from verbund.authorities.models import Authority
from verbund.core.errors import InvalidSourceFile
from verbund.opendata import rules
from verbund.opendata.harvest import harvest, source_for
from verbund.opendata.harvest_ckan import split_source
from verbund.opendata.models import Dataset, DatasetStatus, Distribution, HarvestSource
from verbund.opendata.tests.shapes import SHAPE_SETS, load_shapes, violations

pytestmark = pytest.mark.django_db


def stored(source: HarvestSource) -> tuple[int, int]:
    datasets = Dataset.objects.filter(harvest_source=source)
    return datasets.count(), Distribution.objects.filter(dataset__in=datasets).count()


def errors(run: Any) -> list[str]:
    return [e["record"] for e in run.errors if e["level"] == "error"]


def re_exported(client: Client, shape_set: str) -> Graph:
    """The catalogue as /daten/katalog.ttl serves it, in the profile of that shape set."""
    profile = "" if shape_set == "shapes-v3.0" else "?profil=2.0"
    response = client.get(f"/daten/katalog.ttl{profile}")
    assert response.status_code == 200
    return Graph().parse(data=b"".join(response.streaming_content).decode(), format="turtle")


# --- the platform's own API, served by a live server --------------------------------


@pytest.mark.django_db(transaction=True)
def test_harvest_of_a_second_installation_through_its_ckan_api(
    live_server: Any, settings: Any, shared_data: Path
) -> None:
    # given: installation A (the live server) publishes Erfurt's demo datasets and the
    # Destatis catalogue under Erfurt; B's harvest source is A's API filtered to Erfurt,
    # harvested into another authority, in pages of 50
    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    settings.VERBUND_HARVEST_PRIVATE_ADDRESSES = True
    settings.VERBUND_HARVEST_CKAN_ROWS = 50
    erfurt = Authority.objects.get(name="Stadtverwaltung Erfurt")
    harvest(
        source=source_for(
            url=str(shared_data / "dcat" / "catalogues" / "destatis.rdf"), authority=erfurt
        ),
        actor="test",
    )
    published = Dataset.objects.filter(authority=erfurt, status=DatasetStatus.PUBLISHED)
    expected = (published.count(), Distribution.objects.filter(dataset__in=published).count())
    url = f"{live_server.url}/api/3/action/?fq=organization:{erfurt.slug}"
    source = source_for(url=url, authority=Authority.objects.get(slug="tlvwa"))
    assert source.kind == HarvestSource.Kind.CKAN
    # when
    out = io.StringIO()
    call_command("harvest", source.name, stdout=out)
    # then: every package with every resource, under the source's ids
    assert expected[0] == 137 and stored(source) == expected
    assert f"{expected[0]} Datensätze mit {expected[1]} Distributionen" in out.getvalue()
    assert "137 neu" in out.getvalue()
    assert errors(source.runs.get()) == []
    original = Dataset.objects.get(name="erfurt-haushaltsplan-2026")
    copy_ = Dataset.objects.get(harvest_source=source, source_uri__endswith=str(original.pk))
    assert copy_.source_uri == f"{live_server.url}/dataset/{original.pk}"
    assert (copy_.title, copy_.licence, copy_.themes, sorted(copy_.keywords)) == (
        original.title,
        "dl-zero-de/2.0",
        ["ECON", "GOVE"],
        ["Finanzen", "Haushalt"],
    )
    assert (copy_.temporal_start, copy_.temporal_end) == (
        original.temporal_start,
        original.temporal_end,
    )
    assert original.gebiet is not None
    assert copy_.geocoding_uri == rules.geocoding_uri(original.gebiet.ars, original.gebiet.level)
    csv, link = copy_.distributions.order_by("position")
    first = original.distributions.order_by("position")[0]
    assert (csv.format, csv.byte_size, csv.checksum) == ("CSV", first.byte_size, first.checksum)
    assert csv.access_url.startswith(live_server.url) and link.format == "HTML"

    # when: harvested again, unchanged
    before = dict(Dataset.objects.filter(harvest_source=source).values_list("pk", "updated_at"))
    again = harvest(source=source, actor="test").run
    # then: nothing changes
    assert (again.created, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 137)
    after = dict(Dataset.objects.filter(harvest_source=source).values_list("pk", "updated_at"))
    assert after == before

    # when: A changes one title and withdraws another dataset
    changed, withdrawn = published.order_by("name")[:2]
    changed.title = "Neuer Titel"
    changed.save()
    Dataset.objects.filter(pk=withdrawn.pk).update(status=DatasetStatus.DRAFT)
    run = harvest(source=source, actor="test").run
    # then: exactly those two
    assert (run.created, run.updated, run.deleted, run.unchanged) == (0, 1, 1, 135)
    assert Dataset.objects.get(source_uri__endswith=str(changed.pk)).title == "Neuer Titel"
    assert not Dataset.objects.filter(source_uri__endswith=str(withdrawn.pk)).exists()

    # when: only the harvested copies are published and exported again
    Dataset.objects.exclude(harvest_source=source).delete()
    for shape_set in SHAPE_SETS:
        graph = re_exported(Client(), shape_set)
        # then: DCAT-AP.de conforming, like the RDF-harvested catalogues
        assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 136
        assert violations(graph, load_shapes(shared_data, shape_set)) == [], shape_set


# --- a recorded response set of a CKAN 2.10 portal ----------------------------------

SITE_PACKAGES: list[Any] = [
    {
        "id": "0b6c5f2e-0c4b-4f7e-9d0a-1c2b3d4e5f60",
        "name": "baumkataster",
        "title": "Baumkataster",
        "notes": "Standorte und Arten der Straßenbäume.",
        "type": "dataset",
        "state": "active",
        "private": False,
        "license_id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        "license_title": "Datenlizenz Deutschland Namensnennung 2.0",
        "maintainer": "Grünflächenamt",
        "maintainer_email": "gruen@stadt.example",
        "url": "https://stadt.example/baeume",
        "metadata_created": "2021-03-01T08:00:00.000000",
        "metadata_modified": "2024-05-02T10:11:12.345678",
        "organization": {"id": "org-1", "name": "stadt", "title": "Stadt", "type": "organization"},
        "tags": [
            {"id": "t1", "name": "Bäume", "display_name": "Bäume", "vocabulary_id": None},
            {"id": "t2", "name": "Umwelt", "display_name": "Umwelt", "vocabulary_id": None},
        ],
        "groups": [{"id": "g1", "name": "envi", "title": "Umwelt", "display_name": "Umwelt"}],
        "extras": [
            {"key": "issued", "value": "2021-03-01T00:00:00"},
            {"key": "modified", "value": "2024-05-01T00:00:00"},
            {"key": "identifier", "value": "https://stadt.example/id/baumkataster"},
            {
                "key": "frequency",
                "value": "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
            },
            {
                "key": "politicalGeocodingURI",
                "value": '["http://dcat-ap.de/def/politicalGeocoding/regionalKey/130030000000"]',
            },
            {
                "key": "politicalGeocodingLevelURI",
                "value": "http://dcat-ap.de/def/politicalGeocoding/Level/municipality",
            },
            {"key": "temporal_start", "value": "2020-01-01"},
            {"key": "contributorID", "value": '["http://dcat-ap.de/def/contributors/stadt"]'},
        ],
        "num_resources": 2,
        "resources": [
            {
                "id": "r1",
                "package_id": "0b6c5f2e-0c4b-4f7e-9d0a-1c2b3d4e5f60",
                "name": "Baumkataster (CSV)",
                "url": "https://stadt.example/baeume.csv",
                "format": "CSV",
                "mimetype": "text/csv",
                "size": "123456",
                "hash": "a" * 64,
                "position": 0,
                "state": "active",
            },
            {
                "id": "r2",
                "package_id": "0b6c5f2e-0c4b-4f7e-9d0a-1c2b3d4e5f60",
                "name": "Karte",
                "url": "https://stadt.example/baeume.geojson",
                "format": "GeoJSON",
                "mimetype": None,
                "size": None,
                "hash": "d41d8cd98f00b204e9800998ecf8427e",
                "hash_algorithm": "md5",
                "position": 1,
                "state": "active",
            },
        ],
    },
    {
        "id": "1d7e3a90-5b2c-4e8f-a1b2-c3d4e5f60718",
        "name": "wahlergebnisse",
        "title": "Wahlergebnisse",
        "notes": "",
        "license_id": "cc-by",
        "organization": None,
        "tags": [],
        "groups": [],
        "extras": [
            {
                "key": "theme",
                "value": '["http://publications.europa.eu/resource/authority/data-theme/GOVE"]',
            },
        ],
        "resources": [{"id": "r3", "url": "https://stadt.example/wahl.json", "format": "JSON"}],
    },
    {"id": "kaputt-1", "name": "kaputt", "title": "Kaputt", "resources": "keine Liste"},
    "kein Objekt",
    {"title": "Ohne Kennung", "resources": []},
]


class RecordedCkan:
    """A CKAN portal answering from a recorded package list: package_search with rows and
    start, package_list, package_show; `search` off answers package_search as a CKAN
    without that action does."""

    def __init__(self) -> None:
        self.packages: list[Any] = copy.deepcopy(SITE_PACKAGES)
        self.search = True
        self.page_body = b""  # when set, package_search answers with these bytes
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.requests: list[str] = []
        self.hosts: list[str] = []  # the Host header of each request

    def handler(self) -> type[BaseHTTPRequestHandler]:
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                portal.requests.append(self.path)
                portal.hosts.append(self.headers.get("Host", ""))
                status, body = portal.answer(self.path)
                data = json.dumps({"help": "", **body}).encode()
                if portal.page_body and "package_search" in self.path:
                    data = portal.page_body
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        action = parts.path.rsplit("/", 1)[-1]
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if action == "package_search" and self.search:
            rows, start = int(params.get("rows", 10)), int(params.get("start", 0))
            page = self.packages[start : start + rows]
            return 200, {"success": True, "result": {"count": len(self.packages), "results": page}}
        if action == "package_list":
            names = [p.get("name") for p in self.packages if isinstance(p, dict)]
            return 200, {"success": True, "result": [n for n in names if n]}
        if action == "package_show":
            for package in self.packages:
                if isinstance(package, dict) and params.get("id") == package.get("name"):
                    return 200, {"success": True, "result": package}
            return 404, {
                "success": False,
                "error": {"__type": "Not Found Error", "message": "Not found"},
            }
        return 400, {
            "success": False,
            "error": {
                "__type": "Bad request",
                "message": f"Bad request - Action name not known: {action}",
            },
        }


@pytest.fixture
def portal(settings: Any) -> Iterator[RecordedCkan]:
    settings.VERBUND_HARVEST_PRIVATE_ADDRESSES = True
    settings.VERBUND_HARVEST_CKAN_ROWS = 2
    recorded = RecordedCkan()
    thread = threading.Thread(target=recorded.server.serve_forever, daemon=True)
    thread.start()
    yield recorded
    recorded.server.shutdown()
    recorded.server.server_close()


def ckan_source(portal: RecordedCkan) -> HarvestSource:
    authority = Authority.objects.get(slug="tlvwa")
    return source_for(url=f"{portal.url}/api/3/action/", authority=authority)


def test_ckan_packages_are_read_into_dcat_ap_de_fields(portal: RecordedCkan) -> None:
    # when
    run = harvest(source=ckan_source(portal), actor="test").run
    # then: the pages were walked with rows and start
    assert [p for p in portal.requests if "package_search" in p and "start=4" in p]
    trees = Dataset.objects.get(identifier="https://stadt.example/id/baumkataster")
    assert trees.source_uri == f"{portal.url}/dataset/0b6c5f2e-0c4b-4f7e-9d0a-1c2b3d4e5f60"
    assert (trees.licence, trees.themes, trees.keywords) == (
        "dl-by-de/2.0",
        ["ENVI"],
        ["Bäume", "Umwelt"],
    )
    assert (trees.contact_email, trees.landing_page, trees.accrual_periodicity) == (
        "gruen@stadt.example",
        "https://stadt.example/baeume",
        "ANNUAL",
    )
    assert trees.geocoding_uri.endswith("/regionalKey/130030000000")
    assert str(trees.temporal_start) == "2020-01-01" and trees.issued.year == 2021
    csv, geojson = trees.distributions.order_by("position")
    assert (csv.format, csv.media_type, csv.byte_size, csv.checksum) == (
        "CSV",
        "text/csv",
        123456,
        "a" * 64,
    )
    assert (geojson.format, geojson.byte_size, geojson.checksum) == ("GEOJSON", None, "")
    votes = Dataset.objects.get(harvest_source=run.source, title="Wahlergebnisse")
    assert (votes.licence, votes.themes, votes.description) == ("cc-by/4.0", ["GOVE"], votes.title)
    assert any("Keine Beschreibung" in e["message"] for e in run.errors)


@pytest.mark.parametrize("shape_set", SHAPE_SETS)
def test_ckan_harvested_datasets_re_export_conforming_to_the_shapes(
    portal: RecordedCkan, client: Client, shared_data: Path, shape_set: str
) -> None:
    # given: only the datasets harvested from the recorded CKAN portal are published
    Dataset.objects.all().delete()
    run = harvest(source=ckan_source(portal), actor="test").run
    assert run.created == 2
    # when
    graph = re_exported(client, shape_set)
    # then
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 2
    assert violations(graph, load_shapes(shared_data, shape_set)) == []


def test_malformed_packages_are_reported_the_others_imported(portal: RecordedCkan) -> None:
    run = harvest(source=ckan_source(portal), actor="test").run
    assert run.created == 2
    reported = {e["record"]: e["message"] for e in run.errors if e["level"] == "error"}
    assert reported == {
        f"{portal.url}/dataset/kaputt-1": "Die Ressourcen (resources) sind keine Liste von "
        "Objekten.",
        f"{portal.url}/dataset/ (Paket Nr. 4)": "Das Paket ist kein JSON-Objekt.",
        f"{portal.url}/dataset/ (Paket Nr. 5)": "Das Paket hat weder id noch name.",
    }


def test_a_portal_without_package_search_is_read_by_list_and_show(portal: RecordedCkan) -> None:
    # given: a portal without package_search, one package of its list not showable
    portal.search = False
    portal.packages[0]["name"] = "umbenannt"
    source = ckan_source(portal)
    portal.packages.append({"name": "nur-in-der-liste"})
    # when
    run = harvest(source=source, actor="test").run
    # then
    assert [p for p in portal.requests if "package_list" in p]
    assert run.created == 3  # two complete ones and the one with only a name
    assert stored(source)[1] == 3
    assert f"{portal.url}/dataset/kaputt-1" in errors(run)


def test_re_harvest_of_the_recorded_portal_updates_exactly_what_changed(
    portal: RecordedCkan,
) -> None:
    source = ckan_source(portal)
    harvest(source=source, actor="test")
    unchanged = harvest(source=source, actor="test").run
    assert (unchanged.created, unchanged.updated, unchanged.deleted) == (0, 0, 0)
    portal.packages[0]["resources"][0]["size"] = 7
    del portal.packages[1]
    run = harvest(source=source, actor="test").run
    assert (run.created, run.updated, run.deleted, run.unchanged) == (0, 1, 1, 0)
    assert Distribution.objects.filter(dataset__harvest_source=source, byte_size=7).count() == 1


def test_a_source_in_the_internal_network_is_refused(portal: RecordedCkan, settings: Any) -> None:
    settings.VERBUND_HARVEST_PRIVATE_ADDRESSES = False
    with pytest.raises(InvalidSourceFile, match=r"im internen Netz \(127\.0\.0\.1\)"):
        harvest(source=ckan_source(portal), actor="test")
    assert portal.requests == []


def rebinding_dns(monkeypatch: pytest.MonkeyPatch, host: str, answers: list[str]) -> None:
    """`host` resolves to the given addresses, one per lookup, then to nothing; every other
    name as usual."""
    real = socket.getaddrinfo
    remaining = list(answers)

    def lookup(name: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if name != host:
            return real(name, port, *args, **kwargs)
        if not remaining:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(remaining.pop(0), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)


def test_the_harvest_connects_to_the_address_it_checked(
    portal: RecordedCkan, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a name that resolves once (to the portal), and not again
    port = portal.server.server_address[1]
    rebinding_dns(monkeypatch, "ckan.rebind.example", ["127.0.0.1"] * 5)
    source = source_for(
        url=f"http://ckan.rebind.example:{port}/api/3/action/",
        authority=Authority.objects.get(slug="tlvwa"),
    )
    # when
    run = harvest(source=source, actor="test").run
    # then: every page came from the checked address, asked for by the source's name
    assert run.created == 2 and len(portal.requests) >= 3
    assert set(portal.hosts) == {f"ckan.rebind.example:{port}"}


def test_a_second_dns_answer_into_the_internal_network_is_not_followed(
    portal: RecordedCkan, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    # given: the check sees a public address, a second lookup would give the portal's
    # loopback address (DNS rebinding)
    settings.VERBUND_HARVEST_PRIVATE_ADDRESSES = False
    port = portal.server.server_address[1]
    rebinding_dns(monkeypatch, "ckan.rebind.example", ["192.0.2.1"] + ["127.0.0.1"] * 5)
    monkeypatch.setattr(
        ipaddress.IPv4Address, "is_global", property(lambda a: str(a) == "192.0.2.1")
    )
    source = source_for(
        url=f"http://ckan.rebind.example:{port}/api/3/action/",
        authority=Authority.objects.get(slug="tlvwa"),
    )
    # when / then: the connection goes to the checked address (the test's network guard,
    # conftest.py, stops it there), never to the portal
    with pytest.raises(RuntimeError, match=r"network access to '192\.0\.2\.1'"):
        harvest(source=source, actor="test")
    assert portal.requests == []


def test_an_answer_larger_than_the_limit_fails_the_harvest_and_keeps_the_datasets(
    portal: RecordedCkan, settings: Any
) -> None:
    source = ckan_source(portal)
    harvest(source=source, actor="test")
    settings.VERBUND_HARVEST_MAX_BYTES = 1000
    with pytest.raises(InvalidSourceFile, match="größer als 1000 Bytes"):
        harvest(source=source, actor="test")
    assert stored(source)[0] == 2


def test_an_answer_that_is_not_ckan_fails_the_harvest_and_keeps_the_datasets(
    portal: RecordedCkan,
) -> None:
    source = ckan_source(portal)
    harvest(source=source, actor="test")
    portal.page_body = b"<html><body>Wartungsarbeiten</body></html>"
    with pytest.raises(InvalidSourceFile, match=r"package_search: Die Antwort ist keine CKAN"):
        harvest(source=source, actor="test")
    assert stored(source)[0] == 2 and source.runs.count() == 1


def test_source_addresses_name_site_api_and_filter() -> None:
    assert split_source("https://ckan.example/portal/api/3/action/?fq=organization:x") == (
        "https://ckan.example/portal",
        "https://ckan.example/portal/api/3/action",
        "organization:x",
    )
    assert split_source("https://ckan.example/api/action/package_search") == (
        "https://ckan.example",
        "https://ckan.example/api/action",
        "",
    )
