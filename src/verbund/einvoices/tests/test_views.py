"""Pages: the public upload, the authority's inbox (access), the readable invoice."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.template.defaultfilters import floatformat
from django.utils import translation
from django.utils.html import escape

from verbund.einvoices import actions
from verbund.einvoices.models import Channel, Invoice, InvoiceStatus
from verbund.einvoices.reading import read_invoice
from verbund.einvoices.tests.conftest import CII, UBL

pytestmark = pytest.mark.django_db


def receive(data: bytes) -> Invoice:
    return actions.receive_invoice(data=data, channel=Channel.API, actor="test").invoice


def upload(client, data: bytes, name: str = "rechnung.xml", **extra):  # type: ignore[no-untyped-def]
    return client.post(
        "/e-rechnung/", {"document": SimpleUploadedFile(name, data), "email": ""}, **extra
    )


def test_upload_page_needs_no_account(client):
    response = client.get("/e-rechnung/")
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_upload_receives_and_routes(client, ubl_for, hanstein):
    response = upload(client, ubl_for(hanstein))
    assert response.status_code == 201
    html = response.content.decode()
    assert hanstein.name in html
    invoice = Invoice.objects.get(authority=hanstein, channel="upload", filename="rechnung.xml")
    assert invoice.sha256 in html


def test_upload_of_non_xml_says_why(client):
    response = upload(client, b"kein XML", name="rechnung.txt")
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()


def test_upload_is_limited_per_client_address(client, settings, ubl_for, hanstein, erfurt):
    settings.VERBUND_EINVOICE_UPLOAD_LIMIT = 2
    assert upload(client, b"a", REMOTE_ADDR="203.0.113.5").status_code == 422
    assert upload(client, b"b", REMOTE_ADDR="203.0.113.5").status_code == 422
    data = ubl_for(hanstein)
    refused = upload(client, data, REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 429
    assert not Invoice.objects.filter(sha256=hashlib.sha256(data).hexdigest()).exists()
    assert upload(client, ubl_for(erfurt), REMOTE_ADDR="198.51.100.1").status_code == 201


def test_inbox_shows_own_authority_with_status_filter(
    client, login_staff, ubl_for, hanstein, clerk_hanstein
):
    invoice = receive(ubl_for(hanstein))
    login_staff(client, clerk_hanstein)
    response = client.get(f"/behoerde/{hanstein.slug}/rechnungen/")
    assert response.status_code == 200
    assert f"/rechnungen/{invoice.pk}/" in response.content.decode()
    filtered = client.get(f"/behoerde/{hanstein.slug}/rechnungen/?status=bezahlt")
    assert f"/rechnungen/{invoice.pk}/" not in filtered.content.decode()


def test_foreign_authority_gets_404(client, login_staff, ubl_for, hanstein, clerk_erfurt):
    invoice = receive(ubl_for(hanstein))
    login_staff(client, clerk_erfurt)
    assert client.get(f"/behoerde/{hanstein.slug}/rechnungen/").status_code == 404
    assert client.get(f"/rechnungen/{invoice.pk}/").status_code == 404
    assert client.get(f"/rechnungen/{invoice.pk}/original").status_code == 404
    assert (
        client.post(f"/rechnungen/{invoice.pk}/status/", {"status": "geprueft"}).status_code == 404
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.RECEIVED


def test_anonymous_goes_to_login_and_citizen_gets_403(client, settings, ubl_for, hanstein, citizen):
    invoice = receive(ubl_for(hanstein))
    response = client.get(f"/rechnungen/{invoice.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    client.force_login(citizen)
    assert client.get(f"/rechnungen/{invoice.pk}/").status_code == 403
    assert client.get(f"/behoerde/{hanstein.slug}/rechnungen/").status_code == 403


@pytest.mark.parametrize("name", [UBL, CII])
def test_readable_invoice_shows_parties_lines_totals_and_vat(
    client, login_staff, ubl_for, hanstein, clerk_hanstein, name
):
    data = ubl_for(hanstein, name)
    invoice = receive(data)
    doc = read_invoice(data)
    login_staff(client, clerk_hanstein)
    html = client.get(f"/rechnungen/{invoice.pk}/").content.decode()

    assert escape(doc.seller.display_name) in html and escape(doc.buyer.display_name) in html
    for line in doc.lines:
        assert escape(line.name) in html
    assert 'id="vat"' in html and 'id="totals"' in html and 'id="payment"' in html
    with translation.override("de"):
        assert floatformat(doc.totals.payable, "2g") in html
        for vat in doc.vat:
            assert floatformat(vat.tax_amount, "2g") in html
    assert invoice.sha256 in html


def test_original_downloads_byte_for_byte(client, login_staff, ubl_for, hanstein, clerk_hanstein):
    data = ubl_for(hanstein)
    invoice = receive(data)
    login_staff(client, clerk_hanstein)
    response = client.get(f"/rechnungen/{invoice.pk}/original")
    assert response.status_code == 200
    assert response.content == data
    assert "attachment" in response["Content-Disposition"]


def test_staff_moves_status_and_rejects_with_reason(
    client, login_staff, ubl_for, hanstein, clerk_hanstein, django_capture_on_commit_callbacks
):
    invoice = receive(ubl_for(hanstein))
    login_staff(client, clerk_hanstein)
    client.post(f"/rechnungen/{invoice.pk}/status/", {"status": "geprueft"})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CHECKED
    client.post(f"/rechnungen/{invoice.pk}/status/", {"status": "bezahlt"})  # skips a step
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CHECKED
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/rechnungen/{invoice.pk}/ablehnen/", {"reason": "Leistung nicht erbracht."})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REJECTED
    assert invoice.rejection_reasons == ["Leistung nicht erbracht."]
    html = client.get(f"/rechnungen/{invoice.pk}/").content.decode()
    history = html[html.index('id="history"') :]
    assert "geprüft" in history and "abgelehnt (Leistung nicht erbracht.)" in history
    assert clerk_hanstein.get_username() in history


def test_staff_entry_leads_to_the_own_inbox(client, login_staff, hanstein, clerk_hanstein):
    login_staff(client, clerk_hanstein)
    response = client.get("/rechnungen/")
    assert response.status_code == 302
    assert response["Location"] == f"/behoerde/{hanstein.slug}/rechnungen/"


def test_zugferd_pdf_is_kept_as_pdf_and_shown_from_its_xml(
    client, login_staff, ubl_for, hanstein, clerk_hanstein
):
    import io

    from pypdf import PdfWriter

    xml = ubl_for(hanstein)
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("factur-x.xml", xml)
    buffer = io.BytesIO()
    writer.write(buffer)
    pdf = buffer.getvalue()
    response = upload(client, pdf, name="rechnung.pdf")
    assert response.status_code == 201
    invoice = Invoice.objects.get(sha256=hashlib.sha256(pdf).hexdigest())
    assert invoice.media_type == "application/pdf" and invoice.authority == hanstein
    login_staff(client, clerk_hanstein)
    assert client.get(f"/rechnungen/{invoice.pk}/original").content == pdf
    html = client.get(f"/rechnungen/{invoice.pk}/").content.decode()
    assert escape(read_invoice(xml).lines[0].name) in html
