"""Issue 11, finding 17: a read-only database or an unwritable storage is an outage with a
German message (503), not a plain 500; reads keep working and `/healthz` says what is wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from verbund.authorities.models import Authority
from verbund.core.models import WorkerHeartbeat
from verbund.einvoices.tests.conftest import UBL, leitweg_of, with_buyer_reference

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_only_database() -> Iterator[None]:
    """The database refuses every write from now on (as a replica or a full disk would)."""
    WorkerHeartbeat.objects.create(worker_id="outage-test", seen_at=timezone.now())
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET transaction_read_only = on")
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = OFF")


def test_a_write_to_a_read_only_database_answers_503_in_german(client, read_only_database):
    client.raise_request_exception = False
    # when: someone registers an account
    response = client.post(
        "/konto/registrieren/",
        {
            "email": "neu@example.org",
            "password": "ein-langes-Passwort-42",
            "password_again": "ein-langes-Passwort-42",
        },
    )
    # then
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    html = response.content.decode()
    assert "die Datenbank ist nur lesbar" in html
    assert "Ihre Eingaben wurden nicht gespeichert" in html


def test_reads_keep_working_with_a_read_only_database(client, read_only_database):
    assert client.get("/gebiete/").status_code == 200
    assert client.get("/leistungen/").status_code == 200


def test_healthz_says_the_database_is_read_only(client, read_only_database):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["failed"] == ["database"]
    assert "nur Lesen" in body["checks"]["database"]["detail"]


def test_an_unwritable_storage_answers_503_in_german(client, settings, tmp_path, shared_data):
    # given: the e-invoice folder lies below a file (no one, root included, can write there)
    client.raise_request_exception = False
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "einvoices": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocked / "einvoices")},
        },
    }
    suite = shared_data / "xrechnung" / "testsuite"
    hanstein = Authority.objects.get(name="Verwaltungsgemeinschaft Hanstein-Rusteberg")
    data = with_buyer_reference((suite / UBL).read_bytes(), leitweg_of(hanstein))
    # when
    response = client.post(
        "/e-rechnung/", {"document": SimpleUploadedFile("rechnung.xml", data), "email": ""}
    )
    # then
    assert response.status_code == 503, response.content[:500]
    assert "keine Dateien speichern" in response.content.decode()
    assert client.get("/e-rechnung/").status_code == 200


def test_an_einvoice_check_without_rules_answers_503_in_german(
    client, settings, tmp_path, shared_data
):
    # given: the rule directory is missing (issue 13: a fresh machine without the data)
    client.raise_request_exception = False
    settings.VERBUND_EINVOICE_RULES = tmp_path / "keine-regeln"
    hanstein = Authority.objects.get(name="Verwaltungsgemeinschaft Hanstein-Rusteberg")
    data = with_buyer_reference(
        (shared_data / "xrechnung" / "testsuite" / UBL).read_bytes(), leitweg_of(hanstein)
    )
    # when: the API check and the upload page
    api = client.post("/api/v1/einvoices/validate", data, content_type="application/xml")
    page = client.post(
        "/e-rechnung/", {"document": SimpleUploadedFile("rechnung.xml", data), "email": ""}
    )
    # then
    assert api.status_code == 503
    assert api["Content-Type"].startswith("application/problem+json")
    assert api.json()["title"].startswith("Die Prüfregeln für E-Rechnungen sind nicht installiert")
    assert page.status_code == 503
    assert "Die Prüfregeln für E-Rechnungen sind nicht installiert" in page.content.decode()
