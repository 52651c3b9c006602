"""Every invoice of the KoSIT test suite reads into parties, lines, totals and VAT."""

from __future__ import annotations

from dataclasses import asdict
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


@pytest.mark.parametrize("case", ["01.14a", "02.02a"])
def test_one_business_case_reads_alike_in_ubl_and_cii(suite: Path, case: str) -> None:
    # given: the test suite writes these business cases in both syntaxes
    ubl, cii = (
        asdict(
            read_invoice(
                (suite / f"business-cases/standard/{case}-INVOICE_{name}.xml").read_bytes()
            )
        )
        for name in ("ubl", "uncefact")
    )
    # when: setting aside what the two files themselves word differently
    for invoice in (ubl, cii):
        del invoice["syntax"], invoice["document_type"], invoice["totals"]["rounding"]
    # then: every business term reads the same, and there are many of them
    assert ubl == cii
    assert _filled(ubl) > 45


def _filled(value: object) -> int:
    """How many leaves of a nested structure hold a value."""
    if isinstance(value, dict):
        return sum(_filled(v) for v in value.values())
    if isinstance(value, list):
        return sum(_filled(v) for v in value)
    return value not in ("", None)


def test_direct_debit_reads_mandate_and_debited_account_in_both_syntaxes(suite: Path) -> None:
    ubl, cii = (
        read_invoice((suite / f"business-cases/standard/03.04a-INVOICE_{name}.xml").read_bytes())
        for name in ("ubl", "uncefact")
    )
    for invoice in (ubl, cii):
        assert invoice.payment.means_label == "SEPA-Lastschrift"
        assert invoice.payment.mandate == "[Mandate reference identifier]"
        assert invoice.payment.debited_account == "DE79000000001234567890"
        assert invoice.payment.creditor_id == "[Bank assigned creditor identifier]"
        # The creditor identifier (scheme SEPA) is not the seller's identifier.
        assert invoice.seller.identifier != invoice.payment.creditor_id


def test_ubl_note_subject_codes_are_not_part_of_the_text(suite: Path) -> None:
    invoice = read_invoice(
        (suite / "technical-cases/cius/01.01_comprehensive_test_ubl.xml").read_bytes()
    )
    assert invoice.notes
    assert not any(note.startswith("#") for note in invoice.notes)
    assert "Invoice Note Description" in invoice.notes


def test_entities_and_foreign_documents_are_refused() -> None:
    with pytest.raises(UnreadableInvoice):
        read_invoice(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    with pytest.raises(UnreadableInvoice):
        read_invoice(b"<html/>")
    with pytest.raises(UnreadableInvoice):
        read_invoice(b"%PDF-1.7")
