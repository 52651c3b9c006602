"""Every invoice of the KoSIT test suite reads into parties, lines, totals and VAT."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from verbund.einvoices.reading import UnreadableInvoice, read_buyer_reference, read_invoice


def test_every_test_suite_invoice_is_readable(suite: Path) -> None:
    files = sorted(suite.rglob("*.xml"))
    assert len(files) > 50
    for path in files:
        invoice = read_invoice(path.read_bytes())
        assert invoice.number, path
        assert invoice.seller.display_name and invoice.buyer.display_name, path
        assert invoice.lines and invoice.vat, path
        assert invoice.totals.payable is not None, path
        assert invoice.buyer_reference == read_buyer_reference(path.read_bytes())


def test_cii_invoice_reads_its_business_terms(suite: Path) -> None:
    invoice = read_invoice(
        (suite / "business-cases/standard/01.02a-INVOICE_uncefact.xml").read_bytes()
    )
    assert invoice.syntax == "CII"
    assert invoice.number == "123456"
    assert invoice.issue_date.isoformat() == "2016-06-21"  # type: ignore[union-attr]
    assert invoice.buyer_reference == "04011000-12346-97"
    assert invoice.seller.vat_id == "DE123456789"
    assert invoice.supplier_email == "Seller@email.de"
    assert invoice.lines[0].name == "Denk doch, wie du willst"
    assert invoice.vat[0].rate == Decimal("7") and invoice.vat[0].tax_amount == Decimal("0.82")
    assert invoice.totals.payable == Decimal("12.6")
    assert invoice.payment.iban == "DE79000000001234567890"
    assert invoice.payment.means_label == "SEPA-Überweisung"


def test_ubl_invoice_reads_its_business_terms(suite: Path) -> None:
    invoice = read_invoice((suite / "business-cases/standard/01.01a-INVOICE_ubl.xml").read_bytes())
    assert (invoice.syntax, invoice.number) == ("UBL", "123456XX")
    assert [line.net_amount for line in invoice.lines] == [Decimal("288.79"), Decimal("26.07")]
    assert invoice.totals.tax_total == Decimal("22.04")
    assert invoice.seller.name == "[Seller name]"


def test_entities_and_foreign_documents_are_refused() -> None:
    with pytest.raises(UnreadableInvoice):
        read_invoice(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    with pytest.raises(UnreadableInvoice):
        read_invoice(b"<html/>")
    with pytest.raises(UnreadableInvoice):
        read_invoice(b"%PDF-1.7")
