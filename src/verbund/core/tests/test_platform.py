import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from verbund.core.audit import record_audit
from verbund.core.models import AuditEntry, WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_healthz_reports_database(client):
    WorkerHeartbeat.objects.create(worker_id="test", seen_at=timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == {"ok": True, "detail": "sqlite"} or (
        response.json()["checks"]["database"]["detail"] == "postgresql"
    )


def test_start_page_is_german_and_accessible(client):
    html = client.get("/").content.decode()
    assert '<html lang="de"' in html
    assert 'href="#inhalt"' in html and 'id="inhalt"' in html


def test_english_through_i18n(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/gebiete/"})
    assert response.status_code == 302
    html = client.get("/gebiete/").content.decode()
    assert '<html lang="en"' in html
    assert "Districts and independent cities" in html


def test_openapi_document_and_docs(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/gebiete/{ags}" in schema["paths"]
    assert "/api/v1/authorities" in schema["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"/api/v1/openapi.json" in docs.content


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/gibt-es-nicht")
    assert response.status_code == 404


def test_audit_entry_is_rolled_back_with_its_change():
    count = AuditEntry.objects.count()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record_audit(action="test.change", actor="tester", before={"a": 1}, after={"a": 2})
        raise ZeroDivisionError
    assert AuditEntry.objects.count() == count


def test_configuration_docs_are_current(tmp_path, settings):
    out = tmp_path / "configuration.md"
    call_command("settings-docs", output=out, stdout=None)
    documented = (settings.BASE_DIR / "docs" / "configuration.md").read_text()
    assert out.read_text() == documented, "run `make docs` to update docs/configuration.md"


def test_load_demo_is_idempotent():
    from verbund.authorities.models import Authority
    from verbund.gebiete.models import Gebiet

    before = Gebiet.objects.count(), Authority.objects.count()
    call_command("load-demo", stdout=io.StringIO())
    assert (Gebiet.objects.count(), Authority.objects.count()) == before


def test_load_demo_refuses_staff_held_keys_with_a_message(settings):
    from django.core.management.base import CommandError

    from verbund.gebiete.models import Gebiet

    settings.VERBUND_KEY_CUSTODY = "staff"
    before = Gebiet.objects.count()
    with pytest.raises(CommandError, match="VERBUND_KEY_CUSTODY=platform"):
        call_command("load-demo", stdout=io.StringIO())
    assert Gebiet.objects.count() == before


def test_every_static_file_a_page_links_is_found(client):
    # the manifest storage of production fails on a missing file; find them all here
    import re

    from django.contrib.staticfiles import finders

    html = client.get("/gebiete/").content.decode()
    linked = re.findall(r'(?:href|src)="/static/([^"]+)"', html)
    assert linked
    missing = [path for path in linked if finders.find(path) is None]
    assert missing == []


def test_server_error_page_stands_alone(client):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "{% static" not in html and "/static/" not in html
    assert "Ein Fehler ist aufgetreten" in html


def test_bench_endpoints_are_off_by_default(client):
    assert client.get("/_bench/read").status_code == 404
    assert client.post("/_bench/write").status_code == 404
