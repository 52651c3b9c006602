"""Read an XRechnung (UBL 2.1 Invoice/CreditNote or UN/CEFACT CII D16B) into a plain
structure for people: parties, lines, totals, VAT breakdown and payment details.

Only reading, no judging: validation is `verbund.einvoices.validation`. The parser refuses
DTDs, entities and network access, so reading is safe even for a document that was not
validated first. Business terms (BT-n) follow EN 16931-1.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from verbund.core.errors import InvalidInput

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": CII,
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}

# UNTDID 1001 document types and UNTDID 4461 payment means that XRechnung uses most.
DOCUMENT_TYPES = {
    "380": "Rechnung",
    "381": "Gutschrift",
    "384": "Rechnungskorrektur",
    "389": "Selbst ausgestellte Rechnung",
    "326": "Teilrechnung",
    "875": "Teilschlussrechnung",
    "876": "Teilschlussrechnung",
    "877": "Schlussrechnung",
}
PAYMENT_MEANS = {
    "10": "Barzahlung",
    "30": "Überweisung",
    "31": "Auslandsüberweisung",
    "42": "Zahlung auf Bankkonto",
    "48": "Kartenzahlung",
    "49": "Lastschrift",
    "57": "Dauerauftrag",
    "58": "SEPA-Überweisung",
    "59": "SEPA-Lastschrift",
    "97": "Verrechnung",
    "ZZZ": "andere Zahlungsart",
}


class UnreadableInvoice(InvalidInput):
    code = "unreadable_invoice"


@dataclass
class Party:
    name: str = ""
    trading_name: str = ""
    identifier: str = ""
    address_lines: list[str] = field(default_factory=list)
    postcode: str = ""
    city: str = ""
    country: str = ""
    vat_id: str = ""
    tax_number: str = ""
    legal_id: str = ""
    legal_info: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    endpoint: str = ""

    @property
    def display_name(self) -> str:
        return self.name or self.trading_name

    def __bool__(self) -> bool:
        return bool(self.name or self.trading_name or self.identifier)


@dataclass
class Line:
    id: str
    name: str = ""
    description: str = ""
    quantity: Decimal | None = None
    unit: str = ""
    net_price: Decimal | None = None
    net_amount: Decimal | None = None
    vat_category: str = ""
    vat_rate: Decimal | None = None
    note: str = ""
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None


@dataclass
class VatBreakdown:
    category: str
    rate: Decimal | None
    taxable_amount: Decimal | None
    tax_amount: Decimal | None
    exemption_reason: str = ""


@dataclass
class Totals:
    line_total: Decimal | None = None
    allowance_total: Decimal | None = None
    charge_total: Decimal | None = None
    tax_exclusive: Decimal | None = None
    tax_total: Decimal | None = None
    tax_inclusive: Decimal | None = None
    prepaid: Decimal | None = None
    rounding: Decimal | None = None
    payable: Decimal | None = None


@dataclass
class Payment:
    means_code: str = ""
    means_text: str = ""
    iban: str = ""
    bic: str = ""
    account_name: str = ""
    remittance: str = ""
    terms: str = ""
    due_date: datetime.date | None = None
    mandate: str = ""
    creditor_id: str = ""
    debited_account: str = ""

    @property
    def means_label(self) -> str:
        return self.means_text or PAYMENT_MEANS.get(self.means_code, self.means_code)


@dataclass
class ReadableInvoice:
    syntax: str
    document_type: str
    type_code: str = ""
    number: str = ""
    issue_date: datetime.date | None = None
    currency: str = ""
    buyer_reference: str = ""
    order_reference: str = ""
    contract_reference: str = ""
    customization_id: str = ""
    notes: list[str] = field(default_factory=list)
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    delivery_date: datetime.date | None = None
    seller: Party = field(default_factory=Party)
    buyer: Party = field(default_factory=Party)
    payee: Party = field(default_factory=Party)
    lines: list[Line] = field(default_factory=list)
    vat: list[VatBreakdown] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    payment: Payment = field(default_factory=Payment)

    @property
    def type_label(self) -> str:
        return DOCUMENT_TYPES.get(self.type_code, self.type_code)

    @property
    def supplier_email(self) -> str:
        """Where a notice to the supplier goes: the seller contact (BT-43), else the
        seller's electronic address (BT-34) when it is an e-mail address."""
        for candidate in (self.seller.email, self.seller.endpoint):
            if candidate and "@" in candidate:
                return candidate.strip()
        return ""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
    )


def parse_document(data: bytes) -> etree._Element:
    """The root element; DTDs are refused outright (XXE, entity expansion)."""
    try:
        tree = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise UnreadableInvoice(f"Das Dokument ist kein wohlgeformtes XML: {exc}") from None
    if tree.getroottree().docinfo.doctype:  # type: ignore[union-attr]
        raise UnreadableInvoice("Dokumente mit DOCTYPE-Deklaration werden nicht gelesen.")
    return tree


def _text(node: etree._Element | None, path: str) -> str:
    if node is None:
        return ""
    found = node.xpath(f"string({path})", namespaces=NS)
    return " ".join(str(found).split())


def _texts(node: etree._Element | None, path: str) -> list[str]:
    if node is None:
        return []
    found = node.xpath(path, namespaces=NS)
    values = found if isinstance(found, list) else []
    return [" ".join(str(v).split()) for v in values if str(v).strip()]


def _nodes(node: etree._Element | None, path: str) -> list[etree._Element]:
    if node is None:
        return []
    found = node.xpath(path, namespaces=NS)
    return [n for n in found if isinstance(n, etree._Element)] if isinstance(found, list) else []


def _first(node: etree._Element | None, path: str) -> etree._Element | None:
    found = _nodes(node, path)
    return found[0] if found else None


def _amount(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _date(value: str) -> datetime.date | None:
    """ISO dates (UBL) and format 102 (CII: YYYYMMDD)."""
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def read_invoice(data: bytes) -> ReadableInvoice:
    """Read an XML invoice of either syntax; refuse other documents with a reason."""
    root = parse_document(data)
    namespace = etree.QName(root).namespace
    if namespace in (UBL_INVOICE, UBL_CREDIT_NOTE):
        return _read_ubl(root, credit_note=namespace == UBL_CREDIT_NOTE)
    if namespace == CII:
        return _read_cii(root)
    raise UnreadableInvoice(
        "Das Dokument ist weder eine UBL-Rechnung noch eine CII-Rechnung (Wurzelelement "
        f"{etree.QName(root).localname})."
    )


def read_buyer_reference(data: bytes) -> str:
    """BT-10 (Käuferreferenz): the Leitweg-ID in an XRechnung."""
    root = parse_document(data)
    if etree.QName(root).namespace == CII:
        return _text(
            root,
            "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:BuyerReference",
        )
    return _text(root, "cbc:BuyerReference")


# UBL 2.1


def _ubl_party(party: etree._Element | None) -> Party:
    if party is None:
        return Party()
    address = _first(party, "cac:PostalAddress")
    tax_ids = {
        _text(scheme, "cac:TaxScheme/cbc:ID"): _text(scheme, "cbc:CompanyID")
        for scheme in _nodes(party, "cac:PartyTaxScheme")
    }
    return Party(
        name=_text(party, "cac:PartyLegalEntity/cbc:RegistrationName")
        or _text(party, "cac:PartyName/cbc:Name"),
        trading_name=_text(party, "cac:PartyName/cbc:Name"),
        identifier=_text(party, "cac:PartyIdentification/cbc:ID"),
        address_lines=[
            line
            for line in (
                _text(address, "cbc:StreetName"),
                _text(address, "cbc:AdditionalStreetName"),
                _text(address, "cac:AddressLine/cbc:Line"),
            )
            if line
        ],
        postcode=_text(address, "cbc:PostalZone"),
        city=_text(address, "cbc:CityName"),
        country=_text(address, "cac:Country/cbc:IdentificationCode"),
        vat_id=tax_ids.get("VAT", ""),
        tax_number=next((v for k, v in tax_ids.items() if k != "VAT"), ""),
        legal_id=_text(party, "cac:PartyLegalEntity/cbc:CompanyID"),
        legal_info=_text(party, "cac:PartyLegalEntity/cbc:CompanyLegalForm"),
        contact_name=_text(party, "cac:Contact/cbc:Name"),
        phone=_text(party, "cac:Contact/cbc:Telephone"),
        email=_text(party, "cac:Contact/cbc:ElectronicMail"),
        endpoint=_text(party, "cbc:EndpointID"),
    )


def _read_ubl(root: etree._Element, *, credit_note: bool) -> ReadableInvoice:
    line_tag, quantity_tag = (
        ("cac:CreditNoteLine", "cbc:CreditedQuantity")
        if credit_note
        else ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    )
    invoice = ReadableInvoice(
        syntax="UBL",
        document_type="CreditNote" if credit_note else "Invoice",
        type_code=_text(root, "cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode"),
        number=_text(root, "cbc:ID"),
        issue_date=_date(_text(root, "cbc:IssueDate")),
        currency=_text(root, "cbc:DocumentCurrencyCode"),
        buyer_reference=_text(root, "cbc:BuyerReference"),
        order_reference=_text(root, "cac:OrderReference/cbc:ID"),
        contract_reference=_text(root, "cac:ContractDocumentReference/cbc:ID"),
        customization_id=_text(root, "cbc:CustomizationID"),
        notes=_texts(root, "cbc:Note/text()"),
        period_start=_date(_text(root, "cac:InvoicePeriod/cbc:StartDate")),
        period_end=_date(_text(root, "cac:InvoicePeriod/cbc:EndDate")),
        delivery_date=_date(_text(root, "cac:Delivery/cbc:ActualDeliveryDate")),
        seller=_ubl_party(_first(root, "cac:AccountingSupplierParty/cac:Party")),
        buyer=_ubl_party(_first(root, "cac:AccountingCustomerParty/cac:Party")),
        payee=_ubl_party(_first(root, "cac:PayeeParty")),
    )
    for line in _nodes(root, line_tag):
        invoice.lines.append(
            Line(
                id=_text(line, "cbc:ID"),
                name=_text(line, "cac:Item/cbc:Name"),
                description=_text(line, "cac:Item/cbc:Description"),
                quantity=_amount(_text(line, quantity_tag)),
                unit=_text(line, f"{quantity_tag}/@unitCode"),
                net_price=_amount(_text(line, "cac:Price/cbc:PriceAmount")),
                net_amount=_amount(_text(line, "cbc:LineExtensionAmount")),
                vat_category=_text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
                vat_rate=_amount(_text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent")),
                note=_text(line, "cbc:Note"),
                period_start=_date(_text(line, "cac:InvoicePeriod/cbc:StartDate")),
                period_end=_date(_text(line, "cac:InvoicePeriod/cbc:EndDate")),
            )
        )
    currency = invoice.currency
    # Only the TaxTotal in the invoice currency carries the breakdown (BG-23).
    for subtotal in _nodes(root, "cac:TaxTotal/cac:TaxSubtotal"):
        parent_currency = _text(subtotal, "../cbc:TaxAmount/@currencyID")
        if parent_currency and parent_currency != currency:
            continue
        invoice.vat.append(
            VatBreakdown(
                category=_text(subtotal, "cac:TaxCategory/cbc:ID"),
                rate=_amount(_text(subtotal, "cac:TaxCategory/cbc:Percent")),
                taxable_amount=_amount(_text(subtotal, "cbc:TaxableAmount")),
                tax_amount=_amount(_text(subtotal, "cbc:TaxAmount")),
                exemption_reason=_text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReason")
                or _text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReasonCode"),
            )
        )
    total = _first(root, "cac:LegalMonetaryTotal")
    invoice.totals = Totals(
        line_total=_amount(_text(total, "cbc:LineExtensionAmount")),
        allowance_total=_amount(_text(total, "cbc:AllowanceTotalAmount")),
        charge_total=_amount(_text(total, "cbc:ChargeTotalAmount")),
        tax_exclusive=_amount(_text(total, "cbc:TaxExclusiveAmount")),
        tax_total=_amount(
            next(
                (
                    _text(node, ".")
                    for node in _nodes(root, "cac:TaxTotal/cbc:TaxAmount")
                    if node.get("currencyID", currency) == currency
                ),
                "",
            )
        ),
        tax_inclusive=_amount(_text(total, "cbc:TaxInclusiveAmount")),
        prepaid=_amount(_text(total, "cbc:PrepaidAmount")),
        rounding=_amount(_text(total, "cbc:PayableRoundingAmount")),
        payable=_amount(_text(total, "cbc:PayableAmount")),
    )
    means = _first(root, "cac:PaymentMeans")
    invoice.payment = Payment(
        means_code=_text(means, "cbc:PaymentMeansCode"),
        means_text=_text(means, "cbc:PaymentMeansCode/@name"),
        iban=_text(means, "cac:PayeeFinancialAccount/cbc:ID"),
        bic=_text(means, "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID"),
        account_name=_text(means, "cac:PayeeFinancialAccount/cbc:Name"),
        remittance=_text(means, "cbc:PaymentID"),
        terms=" ".join(_texts(root, "cac:PaymentTerms/cbc:Note/text()")),
        due_date=_date(_text(root, "cbc:DueDate")),
        mandate=_text(means, "cac:PaymentMandate/cbc:ID"),
        debited_account=_text(means, "cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID"),
    )
    return invoice


# UN/CEFACT CII D16B

_TRADE = "rsm:SupplyChainTradeTransaction"
_AGREEMENT = f"{_TRADE}/ram:ApplicableHeaderTradeAgreement"
_SETTLEMENT = f"{_TRADE}/ram:ApplicableHeaderTradeSettlement"


def _cii_party(party: etree._Element | None) -> Party:
    if party is None:
        return Party()
    address = _first(party, "ram:PostalTradeAddress")
    registrations = {
        _text(reg, "ram:ID/@schemeID"): _text(reg, "ram:ID")
        for reg in _nodes(party, "ram:SpecifiedTaxRegistration")
    }
    return Party(
        name=_text(party, "ram:Name"),
        trading_name=_text(party, "ram:SpecifiedLegalOrganization/ram:TradingBusinessName"),
        identifier=_text(party, "ram:ID") or _text(party, "ram:GlobalID"),
        address_lines=[
            line
            for line in (
                _text(address, "ram:LineOne"),
                _text(address, "ram:LineTwo"),
                _text(address, "ram:LineThree"),
            )
            if line
        ],
        postcode=_text(address, "ram:PostcodeCode"),
        city=_text(address, "ram:CityName"),
        country=_text(address, "ram:CountryID"),
        vat_id=registrations.get("VA", ""),
        tax_number=registrations.get("FC", ""),
        legal_id=_text(party, "ram:SpecifiedLegalOrganization/ram:ID"),
        legal_info=_text(party, "ram:Description"),
        contact_name=_text(party, "ram:DefinedTradeContact/ram:PersonName"),
        phone=_text(
            party, "ram:DefinedTradeContact/ram:TelephoneUniversalCommunication/ram:CompleteNumber"
        ),
        email=_text(party, "ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID"),
        endpoint=_text(party, "ram:URIUniversalCommunication/ram:URIID"),
    )


def _read_cii(root: etree._Element) -> ReadableInvoice:
    settlement = _first(root, _SETTLEMENT)
    invoice = ReadableInvoice(
        syntax="CII",
        document_type="CrossIndustryInvoice",
        type_code=_text(root, "rsm:ExchangedDocument/ram:TypeCode"),
        number=_text(root, "rsm:ExchangedDocument/ram:ID"),
        issue_date=_date(_text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")),
        currency=_text(settlement, "ram:InvoiceCurrencyCode"),
        buyer_reference=_text(root, f"{_AGREEMENT}/ram:BuyerReference"),
        order_reference=_text(
            root, f"{_AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"
        ),
        contract_reference=_text(
            root, f"{_AGREEMENT}/ram:ContractReferencedDocument/ram:IssuerAssignedID"
        ),
        customization_id=_text(
            root,
            "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
        ),
        notes=_texts(root, "rsm:ExchangedDocument/ram:IncludedNote/ram:Content/text()"),
        period_start=_date(
            _text(settlement, "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString")
        ),
        period_end=_date(
            _text(settlement, "ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString")
        ),
        delivery_date=_date(
            _text(
                root,
                f"{_TRADE}/ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent"
                "/ram:OccurrenceDateTime/udt:DateTimeString",
            )
        ),
        seller=_cii_party(_first(root, f"{_AGREEMENT}/ram:SellerTradeParty")),
        buyer=_cii_party(_first(root, f"{_AGREEMENT}/ram:BuyerTradeParty")),
        payee=_cii_party(_first(settlement, "ram:PayeeTradeParty")),
    )
    for line in _nodes(root, f"{_TRADE}/ram:IncludedSupplyChainTradeLineItem"):
        tax = _first(line, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax")
        invoice.lines.append(
            Line(
                id=_text(line, "ram:AssociatedDocumentLineDocument/ram:LineID"),
                name=_text(line, "ram:SpecifiedTradeProduct/ram:Name"),
                description=_text(line, "ram:SpecifiedTradeProduct/ram:Description"),
                quantity=_amount(_text(line, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")),
                unit=_text(line, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode"),
                net_price=_amount(
                    _text(
                        line,
                        "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice"
                        "/ram:ChargeAmount",
                    )
                ),
                net_amount=_amount(
                    _text(
                        line,
                        "ram:SpecifiedLineTradeSettlement"
                        "/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
                    )
                ),
                vat_category=_text(tax, "ram:CategoryCode"),
                vat_rate=_amount(_text(tax, "ram:RateApplicablePercent")),
                note=_text(line, "ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content"),
                period_start=_date(
                    _text(
                        line,
                        "ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod"
                        "/ram:StartDateTime/udt:DateTimeString",
                    )
                ),
                period_end=_date(
                    _text(
                        line,
                        "ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod"
                        "/ram:EndDateTime/udt:DateTimeString",
                    )
                ),
            )
        )
    for tax in _nodes(settlement, "ram:ApplicableTradeTax"):
        invoice.vat.append(
            VatBreakdown(
                category=_text(tax, "ram:CategoryCode"),
                rate=_amount(_text(tax, "ram:RateApplicablePercent")),
                taxable_amount=_amount(_text(tax, "ram:BasisAmount")),
                tax_amount=_amount(_text(tax, "ram:CalculatedAmount")),
                exemption_reason=_text(tax, "ram:ExemptionReason")
                or _text(tax, "ram:ExemptionReasonCode"),
            )
        )
    summation = _first(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    currency = invoice.currency
    invoice.totals = Totals(
        line_total=_amount(_text(summation, "ram:LineTotalAmount")),
        allowance_total=_amount(_text(summation, "ram:AllowanceTotalAmount")),
        charge_total=_amount(_text(summation, "ram:ChargeTotalAmount")),
        tax_exclusive=_amount(_text(summation, "ram:TaxBasisTotalAmount")),
        tax_total=_amount(
            next(
                (
                    _text(node, ".")
                    for node in _nodes(summation, "ram:TaxTotalAmount")
                    if node.get("currencyID", currency) == currency
                ),
                "",
            )
        ),
        tax_inclusive=_amount(_text(summation, "ram:GrandTotalAmount")),
        prepaid=_amount(_text(summation, "ram:TotalPrepaidAmount")),
        rounding=_amount(_text(summation, "ram:RoundingAmount")),
        payable=_amount(_text(summation, "ram:DuePayableAmount")),
    )
    means = _first(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    invoice.payment = Payment(
        means_code=_text(means, "ram:TypeCode"),
        means_text=_text(means, "ram:Information"),
        iban=_text(means, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID")
        or _text(means, "ram:PayeePartyCreditorFinancialAccount/ram:ProprietaryID"),
        bic=_text(means, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID"),
        account_name=_text(means, "ram:PayeePartyCreditorFinancialAccount/ram:AccountName"),
        remittance=_text(settlement, "ram:PaymentReference"),
        terms=" ".join(_texts(settlement, "ram:SpecifiedTradePaymentTerms/ram:Description/text()")),
        due_date=_date(
            _text(
                settlement, "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"
            )
        ),
        mandate=_text(settlement, "ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID"),
        creditor_id=_text(settlement, "ram:CreditorReferenceID"),
        debited_account=_text(means, "ram:PayerPartyDebtorFinancialAccount/ram:IBANID"),
    )
    return invoice
