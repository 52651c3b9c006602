"""The mail ingestion and the API key command."""

from __future__ import annotations

import io
import mailbox
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from verbund.einvoices import queries, validation
from verbund.einvoices.models import Invoice, InvoiceStatus
from verbund.einvoices.tests.conftest import CII, UBL

pytestmark = pytest.mark.django_db


def mail_with(attachments: list[tuple[str, bytes, str]], sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Lieferant <{sender}>"
    message["To"] = "rechnung@verbund.invalid"
    message["Subject"] = "Rechnung"
    message.set_content("Anbei unsere Rechnung.")
    for name, data, media_type in attachments:
        maintype, subtype = media_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def test_mail_attachments_are_received_and_the_mail_moved(tmp_path, ubl_for, hanstein, erfurt):
    box = mailbox.Maildir(tmp_path / "rechnungen", create=True)
    good = ubl_for(hanstein)
    box.add(mail_with([("r1.xml", good, "application/xml")], "edi@lieferant.example"))
    box.add(
        mail_with(
            [("r2.xml", ubl_for(erfurt), "application/xml"), ("agb.txt", b"AGB", "text/plain")],
            "post@zweiter.example",
        )
    )
    box.add(mail_with([("kaputt.xml", b"<nicht", "application/xml")], "x@example.org"))
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest-einvoice-mail", str(tmp_path / "rechnungen"), stdout=out, stderr=err)
    assert "3 Mails verarbeitet: 2 Rechnungen eingegangen" in out.getvalue()
    assert "kaputt.xml" in err.getvalue()
    invoice = Invoice.objects.get(authority=hanstein, filename="r1.xml")
    assert invoice.channel == "email" and invoice.status == InvoiceStatus.RECEIVED
    assert invoice.supplier_email == "edi@lieferant.example"
    assert queries.original_bytes(invoice) == good
    assert Invoice.objects.filter(authority=erfurt, filename="r2.xml").exists()
    assert len(box) == 0
    assert len(box.get_folder("verarbeitet")) == 3
    # a second run finds nothing left
    out = io.StringIO()
    call_command("ingest-einvoice-mail", str(tmp_path / "rechnungen"), stdout=out)
    assert "0 Mails verarbeitet" in out.getvalue()


def test_api_key_command_prints_a_working_key(client, ubl_for, hanstein):
    out = io.StringIO()
    call_command("issue-einvoice-api-key", "Lieferant GmbH", "--email", "a@b.example", stdout=out)
    key = next(line for line in out.getvalue().splitlines() if line.startswith("vbe_"))
    response = client.post(
        "/api/v1/einvoices", ubl_for(hanstein), content_type="application/xml", HTTP_X_API_KEY=key
    )
    assert response.status_code == 201


def test_a_batch_of_mails_is_validated_in_worker_processes(tmp_path, ubl_for, hanstein, suite):
    box = mailbox.Maildir(tmp_path / "rechnungen", create=True)
    sent = [ubl_for(hanstein, UBL), ubl_for(hanstein, CII)]
    invalid = sent[0].replace(b"<cbc:IssueDate>", b"<cbc:IssueDate>x", 1)
    for index, data in enumerate([*sent, invalid]):
        box.add(mail_with([(f"r{index}.xml", data, "application/xml")], "edi@l.example"))
    box.add(mail_with([("kaputt.xml", b"<nicht", "application/xml")], "x@example.org"))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "ingest-einvoice-mail",
        str(tmp_path / "rechnungen"),
        "--processes=2",
        "--pool-min=2",
        stdout=out,
        stderr=err,
    )
    assert (
        "4 Mails verarbeitet: 2 Rechnungen eingegangen, 1 abgelehnt, 1 nicht prüfbar"
        in out.getvalue()
    )
    assert "kaputt.xml" in err.getvalue()
    for index, data in enumerate([*sent, invalid]):
        invoice = Invoice.objects.get(filename=f"r{index}.xml")
        assert queries.original_bytes(invoice) == data
        # The report made in a worker is the one validate() makes here.
        assert invoice.report == validation.validate(data).to_dict()
    assert Invoice.objects.get(filename="r2.xml").status == InvoiceStatus.REJECTED
