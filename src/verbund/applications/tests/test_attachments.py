import pytest

from verbund.applications.tests.conftest import PDF, PNG, TEST_SIGNATURE
from verbund.core import attachments
from verbund.core.errors import InvalidInput


def check(content, name="datei.pdf", count=0):
    return attachments.check_upload(filename=name, content=content, existing_count=count)


def test_type_is_recognised_by_content_not_name():
    assert check(PNG, name="foto.pdf").media_type == "image/png"
    with pytest.raises(InvalidInput) as exc:
        check(b"#!/bin/sh\necho hallo", name="antrag.pdf")
    assert exc.value.code == "attachment_type"


def test_size_and_count_limits(settings):
    settings.VERBUND_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(InvalidInput) as exc:
        check(PDF + b" " * 100)
    assert exc.value.code == "attachment_too_large"
    settings.VERBUND_ATTACHMENT_MAX_BYTES = 10_000
    with pytest.raises(InvalidInput) as exc:
        check(PDF, count=settings.VERBUND_ATTACHMENT_MAX_COUNT)
    assert exc.value.code == "too_many_attachments"
    with pytest.raises(InvalidInput):
        check(b"")


def test_clamd_finds_the_test_signature(settings, clamd_address):
    settings.VERBUND_CLAMD = clamd_address
    assert check(PDF).scan_status == "clean"
    with pytest.raises(InvalidInput) as exc:
        check(PDF + TEST_SIGNATURE)
    assert exc.value.code == "attachment_infected" and "Verbund.Test.Signature" in exc.value.message


def test_unavailable_scanner_is_reported_clearly(settings, tmp_path):
    settings.VERBUND_CLAMD = f"unix://{tmp_path}/no-such.sock"
    with pytest.raises(attachments.ScannerUnavailable) as exc:
        check(PDF)
    assert "Virenprüfung ist gerade nicht erreichbar" in exc.value.message


@pytest.mark.django_db
def test_infected_upload_in_the_form_is_refused_and_not_stored(client, settings, clamd_address):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from verbund.applications.models import DraftAttachment
    from verbund.applications.tests.factories import start

    settings.VERBUND_CLAMD = clamd_address
    base = start(client).rsplit("/schritt/", 1)[0]
    response = client.post(
        f"{base}/schritt/4/",
        {
            "f-wohnungsgeberbestaetigung": SimpleUploadedFile("w.pdf", PDF + TEST_SIGNATURE),
            "action": "next",
        },
    )
    assert response.status_code == 422 and "Schadsoftware" in response.content.decode()
    assert not DraftAttachment.objects.exists()
