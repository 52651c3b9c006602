"""The public upload mails a rejection only to the seller contact in the invoice (BT-43),
never to an address the uploader typed (issue 11, finding 16)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from verbund.core import tasks
from verbund.einvoices.models import Invoice, InvoiceStatus
from verbund.einvoices.reading import read_invoice
from verbund.einvoices.tests.conftest import CII

pytestmark = pytest.mark.django_db


def test_public_upload_never_mails_a_rejection_to_a_typed_address(client, suite, smtp_server):
    # given: an invoice whose Leitweg-ID names no authority here, and a victim's address
    data = (suite / CII).read_bytes()
    seller_contact = read_invoice(data).supplier_email
    assert seller_contact
    # when: someone uploads it and types the victim's address into the request
    response = client.post(
        "/e-rechnung/",
        {"document": SimpleUploadedFile("r.xml", data), "email": "opfer@example.org"},
    )
    assert response.status_code == 201
    tasks.run_pending()
    # then: only the seller's contact in the invoice is told
    invoice = Invoice.objects.get(filename="r.xml")
    assert invoice.status == InvoiceStatus.REJECTED
    assert invoice.supplier_email == seller_contact
    assert [m["To"] for m in smtp_server.messages] == [seller_contact]
    assert 'name="email"' not in client.get("/e-rechnung/").content.decode()
