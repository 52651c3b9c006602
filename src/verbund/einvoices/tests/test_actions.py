"""Receipt: validation, routing by Leitweg-ID, storage of the original, status changes
and the rejection notice (through a real SMTP server)."""

from __future__ import annotations

import hashlib

import pytest

from verbund.authorities import actions as authority_actions
from verbund.authorities.rules import make_leitweg_id
from verbund.core import tasks
from verbund.core.errors import Conflict, InvalidInput
from verbund.core.models import AuditEntry
from verbund.einvoices import actions, queries
from verbund.einvoices.models import Channel, InvoiceStatus
from verbund.einvoices.tests.conftest import CII, leitweg_of
from verbund.einvoices.validation import Unexaminable

pytestmark = pytest.mark.django_db


def receive(data: bytes, **kwargs):  # type: ignore[no-untyped-def]
    return actions.receive_invoice(data=data, channel=Channel.API, actor="test", **kwargs)


def test_valid_invoice_is_routed_to_the_authority_of_its_leitweg_id(ubl_for, hanstein):
    # given: BT-10 names the VG Hanstein-Rusteberg
    data = ubl_for(hanstein)
    # when
    receipt = receive(data)
    # then
    invoice = receipt.invoice
    assert receipt.created
    assert invoice.authority == hanstein
    assert invoice.leitweg_id == leitweg_of(hanstein)
    assert invoice.status == InvoiceStatus.RECEIVED
    assert invoice.valid and invoice.report["valid"] is True
    assert invoice.syntax == "UBL"
    assert invoice.rejection_reasons == []
    assert AuditEntry.objects.filter(action="einvoice.received", object_id=str(invoice.pk)).exists()


def test_cii_invoice_is_routed_too(ubl_for, erfurt):
    invoice = receive(ubl_for(erfurt, CII)).invoice
    assert (invoice.authority, invoice.syntax, invoice.status) == (erfurt, "CII", "eingegangen")
    assert invoice.invoice_number and invoice.seller_name and invoice.payable_amount is not None


def test_original_bytes_are_stored_unchanged_with_their_sha256(ubl_for, hanstein):
    data = ubl_for(hanstein)
    invoice = receive(data).invoice
    assert queries.original_bytes(invoice) == data
    assert invoice.sha256 == hashlib.sha256(data).hexdigest()
    assert invoice.size == len(data) and invoice.media_type == "application/xml"


def test_same_bytes_twice_give_the_first_receipt(ubl_for, hanstein):
    data = ubl_for(hanstein)
    first = receive(data)
    second = receive(data)
    assert second.invoice.pk == first.invoice.pk and not second.created


def test_unknown_leitweg_id_is_rejected_with_that_reason(ubl_for):
    unknown = str(make_leitweg_id("16999999", "0001"))
    invoice = receive(ubl_for(unknown)).invoice
    assert invoice.status == InvoiceStatus.REJECTED
    assert invoice.authority is None
    assert any("keiner Behörde" in r and unknown in r for r in invoice.rejection_reasons)


def test_deactivated_leitweg_id_refuses_new_invoices_and_keeps_the_old(ubl_for, hanstein):
    # given: an invoice arrived under the ID, then the VG deactivated it
    value = leitweg_of(hanstein)
    before = receive(ubl_for(value)).invoice
    registration = hanstein.leitweg_ids.get(value=value)
    authority_actions.deactivate_leitweg_id(leitweg=registration, actor="test")
    # when another invoice is sent to it
    data = ubl_for(value).replace(b"</cbc:ID>", b"-2</cbc:ID>", 1)
    after = receive(data).invoice
    # then it is refused with the reason, and the first stays with the VG
    assert after.status == InvoiceStatus.REJECTED and after.authority is None
    assert any(
        "deaktiviert" in r and value in r and hanstein.name in r for r in after.rejection_reasons
    )
    before.refresh_from_db()
    assert before.authority == hanstein and before.status == InvoiceStatus.RECEIVED
    checked = queries.route_leitweg_id(value)
    assert checked[0] is None and "keine E-Rechnungen mehr" in checked[1]
    # registering it again lets invoices in again
    authority_actions.add_leitweg_id(authority=hanstein, value=value, actor="test")
    assert queries.route_leitweg_id(value)[0] == hanstein


def test_leitweg_id_with_wrong_check_digits_is_rejected(ubl_for, hanstein):
    good = leitweg_of(hanstein)
    bad = f"{good[:-2]}{(int(good[-2:]) + 1) % 100:02d}"
    invoice = receive(ubl_for(bad)).invoice
    assert invoice.status == InvoiceStatus.REJECTED and invoice.authority is None
    assert any("Prüfziffer" in r for r in invoice.rejection_reasons)


def test_invoice_without_leitweg_id_is_invalid_and_rejected(suite):
    data = (suite / "business-cases/standard/01.05a-INVOICE_ubl.xml").read_bytes()
    data = data.replace(b"<cbc:BuyerReference>", b"<!--").replace(b"</cbc:BuyerReference>", b"-->")
    invoice = receive(data).invoice
    assert invoice.status == InvoiceStatus.REJECTED
    assert not invoice.valid
    assert "BR-DE-15" in {f["rule"] for f in invoice.findings}
    assert any("BT-10" in r for r in invoice.rejection_reasons)


def test_non_xml_cannot_be_examined_and_is_not_stored():
    with pytest.raises(Unexaminable):
        receive(b"Dies ist keine Rechnung.")
    assert (
        queries.invoice_by_sha256(hashlib.sha256(b"Dies ist keine Rechnung.").hexdigest()) is None
    )


def test_oversized_invoice_is_refused(settings, ubl_for, hanstein):
    settings.VERBUND_EINVOICE_MAX_BYTES = 1000
    with pytest.raises(InvalidInput) as refused:
        receive(ubl_for(hanstein))
    assert refused.value.code == "too_large"


def test_status_moves_on_and_is_audited(ubl_for, hanstein, clerk_hanstein):
    invoice = receive(ubl_for(hanstein)).invoice
    for status in (InvoiceStatus.CHECKED, InvoiceStatus.APPROVED, InvoiceStatus.PAID):
        invoice = actions.change_invoice_status(invoice=invoice, to=status, actor=clerk_hanstein)
    assert invoice.status == InvoiceStatus.PAID
    changes = AuditEntry.objects.filter(action="einvoice.status_changed", object_id=str(invoice.pk))
    assert [e.after["status"] for e in changes.order_by("at", "id")] == [
        "geprueft",
        "angewiesen",
        "bezahlt",
    ]
    assert changes.first().actor == clerk_hanstein  # type: ignore[union-attr]


def test_paid_invoice_cannot_be_rejected_or_skip_steps(ubl_for, hanstein, clerk_hanstein):
    invoice = receive(ubl_for(hanstein)).invoice
    with pytest.raises(Conflict):
        actions.change_invoice_status(invoice=invoice, to=InvoiceStatus.PAID, actor=clerk_hanstein)
    for status in (InvoiceStatus.CHECKED, InvoiceStatus.APPROVED, InvoiceStatus.PAID):
        invoice = actions.change_invoice_status(invoice=invoice, to=status, actor=clerk_hanstein)
    with pytest.raises(Conflict):
        actions.reject_invoice(invoice=invoice, reasons=["zu spät"], actor=clerk_hanstein)


def test_rejection_needs_a_reason(ubl_for, hanstein, clerk_hanstein):
    invoice = receive(ubl_for(hanstein)).invoice
    with pytest.raises(InvalidInput):
        actions.reject_invoice(invoice=invoice, reasons=["  "], actor=clerk_hanstein)


def test_rejection_notice_reaches_the_supplier_through_smtp(
    ubl_for, hanstein, clerk_hanstein, smtp_server
):
    invoice = receive(ubl_for(hanstein), supplier_email="buchhaltung@lieferant.example").invoice
    actions.reject_invoice(invoice=invoice, reasons=["Bestellnummer fehlt."], actor=clerk_hanstein)
    assert smtp_server.messages == []  # the worker sends it, not the request
    assert tasks.run_pending() == 1
    assert tasks.run_pending() == 0  # once
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "buchhaltung@lieferant.example"
    body = message.get_payload(decode=True).decode()
    assert "Bestellnummer fehlt." in body and invoice.sha256 in body
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REJECTED and invoice.notice_sent_at is not None


def test_invoice_rejected_on_receipt_notifies_the_seller_contact(suite, smtp_server):
    data = (suite / CII).read_bytes()  # BT-10 names no authority of the platform
    invoice = receive(data).invoice
    tasks.run_pending()
    assert invoice.status == InvoiceStatus.REJECTED
    assert [m["To"] for m in smtp_server.messages] == [invoice.supplier_email]
    assert invoice.leitweg_id in smtp_server.messages[0].get_payload(decode=True).decode()


def test_demo_authorities_carry_leitweg_ids_whose_grob_part_is_their_area_key():
    from verbund.authorities.models import Authority, AuthorityKind
    from verbund.authorities.rules import parse_leitweg_id
    from verbund.gebiete.models import Level

    # Every municipal demo authority (the district offices of the Land and the Bund that the
    # finder's demo adds are not invoice recipients of the demo).
    municipal = [
        AuthorityKind.GEMEINDEVERWALTUNG,
        AuthorityKind.STADTVERWALTUNG,
        AuthorityKind.VG_VERWALTUNG,
        AuthorityKind.LANDRATSAMT,
    ]
    authorities = Authority.objects.filter(is_demo_data=True, kind__in=municipal).select_related(
        "gebiet"
    )
    assert authorities.count() > 100
    for authority in authorities:
        values = [lw.value for lw in authority.leitweg_ids.all()]
        assert values, authority
        gebiet = authority.gebiet
        expected = gebiet.ags if gebiet.level == Level.GEMEINDE else gebiet.key
        assert parse_leitweg_id(values[0]).grob == expected, authority


def test_demo_invoices_from_the_test_suite_were_received_and_routed(suite, hanstein, erfurt):
    # given: the KoSIT test suite in the data directory (the `suite` fixture needs it), which
    # the session's `load-demo` read
    from verbund.einvoices.models import Invoice

    demo = Invoice.objects.filter(channel=Channel.UPLOAD, filename__endswith="INVOICE_ubl.xml")
    assert demo.filter(authority=hanstein, status=InvoiceStatus.RECEIVED, valid=True).exists()
    assert demo.filter(authority=erfurt, status=InvoiceStatus.RECEIVED, valid=True).exists()
    cii = Invoice.objects.get(authority=hanstein, filename="01.02a-INVOICE_uncefact.xml")
    assert cii.valid and cii.syntax == "CII" and cii.leitweg_id == leitweg_of(hanstein)
