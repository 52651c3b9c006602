"""Files go through Django's storage API to whatever `VERBUND_STORAGE` names: here a real S3
endpoint on loopback (moto's server mode), spoken to over HTTP through django-storages."""

from __future__ import annotations

import io
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import storages
from django.db import connection

from verbund.accounts.queries import find_user_by_login
from verbund.casework import actions as casework
from verbund.casework.tests.factories import submit_hundesteuer
from verbund.core.testing import needs
from verbund.mailbox import queries as mailbox
from verbund.settings.storage import storage_for

pytestmark = pytest.mark.django_db


def objects(url: str, kind: str) -> list[str]:
    """The object keys the S3 server holds for one kind of file of this test."""
    bucket_and_prefix, query = url.removeprefix("s3://").split("?", 1)
    bucket, prefix = bucket_and_prefix.split("/", 1)
    client = boto3.client("s3", endpoint_url=query.removeprefix("endpoint_url="))
    listing = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/{kind}/")
    return [item["Key"] for item in listing.get("Contents", [])]


def test_storage_url_forms() -> None:
    state = Path("/srv/verbund")
    assert storage_for("", "einvoices", state)["OPTIONS"] == {"location": "/srv/verbund/einvoices"}
    s3 = storage_for("s3://bucket/land16?region_name=eu-central-1", "attachments", state)
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["OPTIONS"]["bucket_name"] == "bucket"
    assert s3["OPTIONS"]["location"] == "land16/attachments"
    assert s3["OPTIONS"]["file_overwrite"] is False
    with pytest.raises(ValueError, match="unknown options"):
        storage_for("s3://bucket?secret=x", "attachments", state)
    with pytest.raises(ValueError, match="expected s3://"):
        storage_for("ftp://bucket", "attachments", state)


def test_bescheid_and_postfach_files_are_objects_in_s3(s3_storage: str, settings) -> None:
    # given: a released case of the Stadtverwaltung Erfurt
    case = submit_hundesteuer()
    clerk = find_user_by_login("sb.erfurt")
    casework.take_case(case=case, actor=clerk)

    # when: the clerk decides; the Bescheid is sealed and kept, and sent to the Postfach
    decision = casework.decide_case(
        case=case, outcome="granted", text="Die Hundesteuer ist festgesetzt.", actor=clerk
    )

    # then: both files are objects in the bucket, none is on the local disk
    stored = objects(s3_storage, "attachments")
    assert any(key.endswith(decision.storage_name) for key in stored)
    message = mailbox.thread_for_case(case.submission)[-1]
    attachment = message.attachments.get()
    assert any(key.endswith(attachment.storage_name) for key in stored)
    assert not (Path(settings.STATE_DIR) / "attachments" / decision.storage_name).exists()
    # and read back through the same API they are the applicant's PDF
    assert mailbox.read_attachment(attachment).startswith(b"%PDF-")
    assert storages["attachments"].exists(decision.storage_name)


def test_a_received_e_invoice_is_kept_unchanged_in_s3(s3_storage: str) -> None:
    needs("rules")
    from django.conf import settings as django_settings

    from verbund.authorities.models import Authority
    from verbund.einvoices import queries as einvoices
    from verbund.einvoices.actions import receive_invoice
    from verbund.einvoices.demo import with_buyer_reference
    from verbund.einvoices.models import Channel

    erfurt = Authority.objects.get(name="Stadtverwaltung Erfurt")
    leitweg = erfurt.leitweg_ids.filter(active=True).first()
    suite = Path(django_settings.VERBUND_DATA_DIR) / "xrechnung" / "testsuite"
    data = with_buyer_reference(
        (suite / "business-cases/standard/01.05a-INVOICE_ubl.xml").read_bytes(), leitweg.value
    )

    receipt = receive_invoice(data=data, channel=Channel.UPLOAD, actor="test", filename="r.xml")

    assert any(
        key.endswith(receipt.invoice.storage_name) for key in objects(s3_storage, "einvoices")
    )
    assert einvoices.original_bytes(receipt.invoice) == data


def test_a_backup_reads_the_files_from_s3(s3_storage: str, tmp_path: Path) -> None:
    import hashlib
    import json

    from django.core.files.base import ContentFile
    from django.core.management import call_command

    if connection.vendor == "postgresql":
        needs("pg_dump")
    storages["einvoices"].save("2026/12/a.xml", ContentFile(b"<Invoice/>"))
    storages["datasets"].save("haushalt.csv", ContentFile(b"Jahr;Betrag\n"))

    call_command("backup", str(tmp_path / "b"), stdout=io.StringIO())

    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    files = {(f["kind"], f["name"]): f["sha256"] for f in manifest["files"]}
    assert files[("einvoices", "2026/12/a.xml")] == hashlib.sha256(b"<Invoice/>").hexdigest()
    assert (tmp_path / "b/files/datasets/haushalt.csv").read_bytes() == b"Jahr;Betrag\n"
