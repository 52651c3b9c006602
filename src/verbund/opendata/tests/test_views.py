"""Public catalogue pages and the back office, through the test client."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from verbund.accounts.models import User
from verbund.accounts.queries import find_user_by_login
from verbund.authorities.models import Authority
from verbund.core.models import AuditEntry
from verbund.opendata.models import Dataset, DatasetStatus

pytestmark = pytest.mark.django_db


def user(login: str) -> User:
    found = find_user_by_login(login)
    assert found is not None
    return found


def test_catalogue_page_searches_and_filters_by_facet_links(client: Client) -> None:
    page = client.get("/daten/").content.decode()
    assert "Kindertageseinrichtungen in Erfurt" in page
    assert "<script" not in page.split('id="inhalt"')[-1]
    # the publisher facet offers Erfurt as a plain link
    erfurt = Authority.objects.get(name="Stadtverwaltung Erfurt")
    link = re.search(r'href="\?(publisher=' + erfurt.slug + r')"', page)
    assert link is not None
    filtered = client.get(f"/daten/?{link[1]}").content.decode()
    assert "Badegewässer" not in filtered and "Haushaltsplan 2026" in filtered
    assert "2 Datensätze" in filtered
    searched = client.get("/daten/", {"q": "badestelle"}).content.decode()
    assert "1 Datensatz" in searched and "Badegewässer im Landkreis Eichsfeld" in searched


def test_dataset_page_in_german_and_english(client: Client) -> None:
    page = client.get("/daten/erfurt-kindertageseinrichtungen/").content.decode()
    assert "Datenlizenz Deutschland – Namensnennung – Version 2.0" in page
    assert "/daten/erfurt-kindertageseinrichtungen/dateien/" in page
    client.cookies["django_language"] = "en"  # English by the switch, not the header
    english = client.get("/daten/erfurt-kindertageseinrichtungen/").content.decode()
    assert "Data licence Germany – attribution – version 2.0" in english
    assert "Published by" in english


def test_unpublished_dataset_and_its_files_are_404(client: Client) -> None:
    dataset = Dataset.objects.get(name="eichsfeld-badegewaesser")
    file = dataset.distributions.get()
    Dataset.objects.filter(pk=dataset.pk).update(status=DatasetStatus.DRAFT)
    assert client.get(f"/daten/{dataset.name}/").status_code == 404
    assert client.get(f"/daten/{dataset.name}/dateien/{file.pk}").status_code == 404


def test_lead_creates_uploads_and_publishes(client: Client, login_staff) -> None:  # type: ignore[no-untyped-def]
    login_staff(client, user("lt.hanstein"))
    hanstein = Authority.objects.get(name="Verwaltungsgemeinschaft Hanstein-Rusteberg")
    response = client.post(
        f"/behoerde/{hanstein.slug}/daten/neu/",
        {
            "title": "Straßenverzeichnis",
            "description": "Alle Straßen der Mitgliedsgemeinden.",
            "keywords": "Straßen, Adressen",
            "themes": ["REGI"],
            "licence": "dl-zero-de/2.0",
            "ars": "160615008000",
            "accrual_periodicity": "ANNUAL",
        },
    )
    assert response.status_code == 302
    dataset = Dataset.objects.get(title="Straßenverzeichnis")
    assert dataset.authority == hanstein and dataset.gebiet is not None
    edit = f"/daten/verwaltung/{dataset.pk}/"
    # publishing without data is refused with a message
    client.post(f"{edit}status/", {"publish": "1"})
    assert Dataset.objects.get(pk=dataset.pk).status == DatasetStatus.DRAFT
    # a PDF that is really a CSV is refused by its content
    pdf = SimpleUploadedFile("strassen.pdf", b"strasse;gemeinde\nAm Anger;Arenshausen\n")
    page = client.post(f"{edit}datei/", {"file": pdf, "format": "PDF"}, follow=True)
    assert "ist kein PDF" in page.content.decode()
    csv = SimpleUploadedFile("strassen.csv", b"strasse;gemeinde\nAm Anger;Arenshausen\n")
    client.post(f"{edit}datei/", {"file": csv, "format": "CSV"})
    client.post(f"{edit}status/", {"publish": "1"})
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.PUBLISHED
    distribution = dataset.distributions.get()
    assert (
        distribution.byte_size == len(b"strasse;gemeinde\nAm Anger;Arenshausen\n")
        and len(distribution.checksum) == 64
    )
    download = client.get(f"/daten/{dataset.name}/dateien/{distribution.pk}")
    assert b"".join(download.streaming_content).startswith(b"strasse;gemeinde")
    actions = set(
        AuditEntry.objects.filter(
            object_id__in=[str(dataset.pk), str(distribution.pk)]
        ).values_list("action", flat=True)
    )
    assert actions >= {
        "opendata.dataset_created",
        "opendata.distribution_added",
        "opendata.dataset_published",
    }


@pytest.mark.parametrize("login", ["admin.tlvwa", "sb.hanstein", "sb.erfurt"])
def test_others_get_404_for_hanstein_datasets(client: Client, login_staff, login: str) -> None:  # type: ignore[no-untyped-def]
    # given: Hanstein's dataset; other authorities' staff, and Hanstein's clerk without
    # a publishing role
    dataset = Dataset.objects.get(name="hanstein-rusteberg-wahllokale")
    login_staff(client, user(login))
    assert client.get(f"/daten/verwaltung/{dataset.pk}/").status_code == 404
    assert (
        client.post(f"/daten/verwaltung/{dataset.pk}/status/", {"publish": "0"}).status_code == 404
    )
    assert client.get(f"/behoerde/{dataset.authority.slug}/daten/").status_code == 404
    assert Dataset.objects.get(pk=dataset.pk).status == DatasetStatus.PUBLISHED


def test_kreis_facet_gathers_the_kreis_and_its_gemeinden(client: Client) -> None:
    # given: the Landkreis Eichsfeld's own dataset and one of the VG Hanstein-Rusteberg in it
    page = client.get("/daten/").content.decode()
    assert re.search(r'href="\?kreis=16061">Eichsfeld</a> \(2\)', page)
    filtered = client.get("/daten/?kreis=16061").content.decode()
    assert "2 Datensätze" in filtered
    assert "Badegewässer" in filtered and "Wahllokale der VG Hanstein-Rusteberg" in filtered
