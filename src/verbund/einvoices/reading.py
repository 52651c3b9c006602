"""Read an XRechnung (UBL 2.1 Invoice/CreditNote or UN/CEFACT CII D16B) into a plain
structure for people: parties, lines, totals, VAT breakdown and payment details.

Only reading, no judging: validation is `verbund.einvoices.validation`. The parser refuses
DTDs, entities and network access, so reading is safe even for a document that was not
validated first. Business terms (BT-n) follow EN 16931-1.
"""

from __future__ import annotations

import datetime
import functools
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

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


T = TypeVar("T")

XPath = str | tuple[str, ...]
"""A path, or alternatives tried in order until one gives text."""


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


def _alternatives(path: XPath) -> tuple[str, ...]:
    return (path,) if isinstance(path, str) else path


def _text(node: etree._Element | None, path: XPath) -> str:
    if node is None:
        return ""
    for alternative in _alternatives(path):
        found = " ".join(str(node.xpath(f"string({alternative})", namespaces=NS)).split())
        if found:
            return found
    return ""


def _texts(node: etree._Element | None, path: XPath) -> list[str]:
    if node is None:
        return []
    for alternative in _alternatives(path):
        found = node.xpath(alternative, namespaces=NS)
        values = found if isinstance(found, list) else []
        texts = [" ".join(str(v).split()) for v in values if str(v).strip()]
        if texts:
            return texts
    return []


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


_NOTE_SUBJECT = re.compile(r"^\s*#[A-Z]{3}#")


def read_invoice(data: bytes) -> ReadableInvoice:
    """Read an XML invoice of either syntax; refuse other documents with a reason."""
    root = parse_document(data)
    syntax = SYNTAXES.get(etree.QName(root).namespace or "")
    if syntax is None:
        raise UnreadableInvoice(
            "Das Dokument ist weder eine UBL-Rechnung noch eine CII-Rechnung (Wurzelelement "
            f"{etree.QName(root).localname})."
        )
    invoice = _read(
        ReadableInvoice,
        root,
        syntax.header,
        syntax=syntax.name,
        document_type=syntax.document_type,
        seller=_read_party(_first(root, syntax.seller), syntax),
        buyer=_read_party(_first(root, syntax.buyer), syntax),
        payee=_read_party(_first(root, syntax.payee), syntax),
    )
    # UBL carries the subject code of a note (BT-21) in its text: "#AAC#Text".
    invoice.notes = [_NOTE_SUBJECT.sub("", note, count=1) for note in invoice.notes]
    invoice.lines = [_read(Line, line, syntax.line) for line in _nodes(root, syntax.lines)]
    currency = invoice.currency
    invoice.vat = [
        _read(VatBreakdown, tax, syntax.vat_fields)
        for tax in _nodes(root, syntax.vat)
        if syntax.vat_currency is None or _text(tax, syntax.vat_currency) in ("", currency)
    ]
    tax_total = next(
        (
            _text(node, ".")
            for node in _nodes(root, syntax.tax_total)
            if node.get("currencyID", currency) == currency
        ),
        "",
    )
    invoice.totals = _read(Totals, root, syntax.totals, tax_total=_amount(tax_total))
    invoice.payment = _read(
        Payment, root, syntax.payment, terms=" ".join(_texts(root, syntax.payment_terms))
    )
    return invoice


def read_buyer_reference(data: bytes) -> str:
    """BT-10 (Käuferreferenz): the Leitweg-ID in an XRechnung."""
    root = parse_document(data)
    syntax = SYNTAXES.get(etree.QName(root).namespace or "", UBL_INVOICE_PATHS)
    return _text(root, syntax.header["buyer_reference"])


_CONVERTERS: dict[object, Callable[[etree._Element | None, XPath], object]] = {
    str: _text,
    list[str]: _texts,
    Decimal | None: lambda node, path: _amount(_text(node, path)),
    datetime.date | None: lambda node, path: _date(_text(node, path)),
}


def _read(
    make: Callable[..., T], node: etree._Element | None, paths: Mapping[str, XPath], **given: Any
) -> T:
    """`make` with each field named in `paths` read from `node` as the field's type asks."""
    hints = _type_hints(make)
    values = {name: _CONVERTERS[hints[name]](node, path) for name, path in paths.items()}
    return make(**values, **given)


@functools.cache
def _type_hints(make: Callable[..., object]) -> dict[str, object]:
    return typing.get_type_hints(make)


def _read_party(party: etree._Element | None, syntax: Syntax) -> Party:
    lines = [_text(party, path) for path in syntax.address_lines]
    read = _read(Party, party, syntax.party, address_lines=[line for line in lines if line])
    # A UBL payee (BG-10) has only a PartyName: it is the payee's name (BT-59), no trading name.
    if read.trading_name == read.name:
        read.trading_name = ""
    return read


@dataclass(frozen=True)
class Syntax:
    """Where one syntax keeps the business terms. Each table maps a field of the readable
    structure to its XPath (or alternatives tried in order), relative to the node given in
    its comment."""

    name: str
    document_type: str
    header: Mapping[str, XPath]  # ReadableInvoice, from the root
    seller: str  # party nodes, from the root
    buyer: str
    payee: str
    party: Mapping[str, XPath]  # Party, from a party node
    address_lines: tuple[str, ...]  # each a line of its own, from a party node
    lines: str  # line nodes, from the root
    line: Mapping[str, XPath]  # Line, from a line node
    vat: str  # VAT breakdown nodes, from the root
    vat_fields: Mapping[str, XPath]  # VatBreakdown, from a breakdown node
    vat_currency: str | None  # skip a breakdown in another currency; from a breakdown node
    tax_total: str  # BT-110 in each currency, from the root
    totals: Mapping[str, XPath]  # Totals, from the root
    payment: Mapping[str, XPath]  # Payment, from the root
    payment_terms: str  # every text of BT-20, joined; from the root


# UBL 2.1

_UBL_MEANS = "cac:PaymentMeans[1]"
_UBL_TOTAL = "cac:LegalMonetaryTotal"

UBL_INVOICE_PATHS = Syntax(
    name="UBL",
    document_type="Invoice",
    header={
        "type_code": "cbc:InvoiceTypeCode",
        "number": "cbc:ID",
        "issue_date": "cbc:IssueDate",
        "currency": "cbc:DocumentCurrencyCode",
        "buyer_reference": "cbc:BuyerReference",
        "order_reference": "cac:OrderReference/cbc:ID",
        "contract_reference": "cac:ContractDocumentReference/cbc:ID",
        "customization_id": "cbc:CustomizationID",
        "notes": "cbc:Note/text()",
        "period_start": "cac:InvoicePeriod/cbc:StartDate",
        "period_end": "cac:InvoicePeriod/cbc:EndDate",
        "delivery_date": "cac:Delivery/cbc:ActualDeliveryDate",
    },
    seller="cac:AccountingSupplierParty/cac:Party",
    buyer="cac:AccountingCustomerParty/cac:Party",
    payee="cac:PayeeParty",
    party={
        "name": ("cac:PartyLegalEntity/cbc:RegistrationName", "cac:PartyName/cbc:Name"),
        "trading_name": "cac:PartyName/cbc:Name",
        # BT-29/BT-46/BT-60; an ID with scheme SEPA is the creditor identifier (BT-90).
        "identifier": "cac:PartyIdentification/cbc:ID[not(@schemeID = 'SEPA')]",
        "postcode": "cac:PostalAddress/cbc:PostalZone",
        "city": "cac:PostalAddress/cbc:CityName",
        "country": "cac:PostalAddress/cac:Country/cbc:IdentificationCode",
        "vat_id": "cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cbc:ID) = 'VAT']/cbc:CompanyID",
        "tax_number": "cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cbc:ID) != 'VAT'][1]"
        "/cbc:CompanyID",
        "legal_id": "cac:PartyLegalEntity/cbc:CompanyID",
        "legal_info": "cac:PartyLegalEntity/cbc:CompanyLegalForm",
        "contact_name": "cac:Contact/cbc:Name",
        "phone": "cac:Contact/cbc:Telephone",
        "email": "cac:Contact/cbc:ElectronicMail",
        "endpoint": "cbc:EndpointID",
    },
    address_lines=(
        "cac:PostalAddress/cbc:StreetName",
        "cac:PostalAddress/cbc:AdditionalStreetName",
        "cac:PostalAddress/cac:AddressLine/cbc:Line",
    ),
    lines="cac:InvoiceLine",
    line={
        "id": "cbc:ID",
        "name": "cac:Item/cbc:Name",
        "description": "cac:Item/cbc:Description",
        "quantity": "cbc:InvoicedQuantity",
        "unit": "cbc:InvoicedQuantity/@unitCode",
        "net_price": "cac:Price/cbc:PriceAmount",
        "net_amount": "cbc:LineExtensionAmount",
        "vat_category": "cac:Item/cac:ClassifiedTaxCategory/cbc:ID",
        "vat_rate": "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
        "note": "cbc:Note",
        "period_start": "cac:InvoicePeriod/cbc:StartDate",
        "period_end": "cac:InvoicePeriod/cbc:EndDate",
    },
    vat="cac:TaxTotal/cac:TaxSubtotal",
    vat_fields={
        "category": "cac:TaxCategory/cbc:ID",
        "rate": "cac:TaxCategory/cbc:Percent",
        "taxable_amount": "cbc:TaxableAmount",
        "tax_amount": "cbc:TaxAmount",
        "exemption_reason": (
            "cac:TaxCategory/cbc:TaxExemptionReason",
            "cac:TaxCategory/cbc:TaxExemptionReasonCode",
        ),
    },
    # Only the TaxTotal in the invoice currency carries the breakdown (BG-23).
    vat_currency="../cbc:TaxAmount/@currencyID",
    tax_total="cac:TaxTotal/cbc:TaxAmount",
    totals={
        "line_total": f"{_UBL_TOTAL}/cbc:LineExtensionAmount",
        "allowance_total": f"{_UBL_TOTAL}/cbc:AllowanceTotalAmount",
        "charge_total": f"{_UBL_TOTAL}/cbc:ChargeTotalAmount",
        "tax_exclusive": f"{_UBL_TOTAL}/cbc:TaxExclusiveAmount",
        "tax_inclusive": f"{_UBL_TOTAL}/cbc:TaxInclusiveAmount",
        "prepaid": f"{_UBL_TOTAL}/cbc:PrepaidAmount",
        "rounding": f"{_UBL_TOTAL}/cbc:PayableRoundingAmount",
        "payable": f"{_UBL_TOTAL}/cbc:PayableAmount",
    },
    payment={
        "means_code": f"{_UBL_MEANS}/cbc:PaymentMeansCode",
        "means_text": f"{_UBL_MEANS}/cbc:PaymentMeansCode/@name",
        "iban": f"{_UBL_MEANS}/cac:PayeeFinancialAccount/cbc:ID",
        "bic": f"{_UBL_MEANS}/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID",
        "account_name": f"{_UBL_MEANS}/cac:PayeeFinancialAccount/cbc:Name",
        "remittance": f"{_UBL_MEANS}/cbc:PaymentID",
        "due_date": "cbc:DueDate",
        "mandate": f"{_UBL_MEANS}/cac:PaymentMandate/cbc:ID",
        # BT-90 sits with the payee (BG-10) or else with the seller, scheme SEPA.
        "creditor_id": "(cac:PayeeParty | cac:AccountingSupplierParty/cac:Party)"
        "/cac:PartyIdentification/cbc:ID[@schemeID = 'SEPA']",
        "debited_account": f"{_UBL_MEANS}/cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID",
    },
    payment_terms="cac:PaymentTerms/cbc:Note/text()",
)

UBL_CREDIT_NOTE_PATHS = replace(
    UBL_INVOICE_PATHS,
    document_type="CreditNote",
    header={**UBL_INVOICE_PATHS.header, "type_code": "cbc:CreditNoteTypeCode"},
    lines="cac:CreditNoteLine",
    line={
        **UBL_INVOICE_PATHS.line,
        "quantity": "cbc:CreditedQuantity",
        "unit": "cbc:CreditedQuantity/@unitCode",
    },
)


# UN/CEFACT CII D16B

_TRADE = "rsm:SupplyChainTradeTransaction"
_AGREEMENT = f"{_TRADE}/ram:ApplicableHeaderTradeAgreement"
# The first settlement only, also in a document that repeats it against the schema.
_SETTLEMENT = f"({_TRADE}/ram:ApplicableHeaderTradeSettlement)[1]"
_SUMMATION = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
_CII_MEANS = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans[1]"
_CII_TERMS = f"{_SETTLEMENT}/ram:SpecifiedTradePaymentTerms"
_CII_CONTACT = "ram:DefinedTradeContact"
_CII_LINE_SETTLEMENT = "ram:SpecifiedLineTradeSettlement"

CII_PATHS = Syntax(
    name="CII",
    document_type="CrossIndustryInvoice",
    header={
        "type_code": "rsm:ExchangedDocument/ram:TypeCode",
        "number": "rsm:ExchangedDocument/ram:ID",
        "issue_date": "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
        "currency": f"{_SETTLEMENT}/ram:InvoiceCurrencyCode",
        "buyer_reference": f"{_AGREEMENT}/ram:BuyerReference",
        "order_reference": f"{_AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
        "contract_reference": f"{_AGREEMENT}/ram:ContractReferencedDocument/ram:IssuerAssignedID",
        "customization_id": "rsm:ExchangedDocumentContext"
        "/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
        "notes": "rsm:ExchangedDocument/ram:IncludedNote/ram:Content/text()",
        "period_start": f"{_SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:StartDateTime"
        "/udt:DateTimeString",
        "period_end": f"{_SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:EndDateTime"
        "/udt:DateTimeString",
        "delivery_date": f"{_TRADE}/ram:ApplicableHeaderTradeDelivery"
        "/ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString",
    },
    seller=f"{_AGREEMENT}/ram:SellerTradeParty",
    buyer=f"{_AGREEMENT}/ram:BuyerTradeParty",
    payee=f"{_SETTLEMENT}/ram:PayeeTradeParty",
    party={
        "name": "ram:Name",
        "trading_name": "ram:SpecifiedLegalOrganization/ram:TradingBusinessName",
        "identifier": ("ram:ID", "ram:GlobalID"),
        "postcode": "ram:PostalTradeAddress/ram:PostcodeCode",
        "city": "ram:PostalTradeAddress/ram:CityName",
        "country": "ram:PostalTradeAddress/ram:CountryID",
        "vat_id": "ram:SpecifiedTaxRegistration[normalize-space(ram:ID/@schemeID) = 'VA']/ram:ID",
        "tax_number": "ram:SpecifiedTaxRegistration[normalize-space(ram:ID/@schemeID) = 'FC']"
        "/ram:ID",
        "legal_id": "ram:SpecifiedLegalOrganization/ram:ID",
        "legal_info": "ram:Description",
        "contact_name": f"{_CII_CONTACT}/ram:PersonName",
        "phone": f"{_CII_CONTACT}/ram:TelephoneUniversalCommunication/ram:CompleteNumber",
        "email": f"{_CII_CONTACT}/ram:EmailURIUniversalCommunication/ram:URIID",
        "endpoint": "ram:URIUniversalCommunication/ram:URIID",
    },
    address_lines=(
        "ram:PostalTradeAddress/ram:LineOne",
        "ram:PostalTradeAddress/ram:LineTwo",
        "ram:PostalTradeAddress/ram:LineThree",
    ),
    lines=f"{_TRADE}/ram:IncludedSupplyChainTradeLineItem",
    line={
        "id": "ram:AssociatedDocumentLineDocument/ram:LineID",
        "name": "ram:SpecifiedTradeProduct/ram:Name",
        "description": "ram:SpecifiedTradeProduct/ram:Description",
        "quantity": "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",
        "unit": "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode",
        "net_price": "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice"
        "/ram:ChargeAmount",
        "net_amount": f"{_CII_LINE_SETTLEMENT}"
        "/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
        "vat_category": f"{_CII_LINE_SETTLEMENT}/ram:ApplicableTradeTax[1]/ram:CategoryCode",
        "vat_rate": f"{_CII_LINE_SETTLEMENT}/ram:ApplicableTradeTax[1]/ram:RateApplicablePercent",
        "note": "ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content",
        "period_start": f"{_CII_LINE_SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:StartDateTime"
        "/udt:DateTimeString",
        "period_end": f"{_CII_LINE_SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:EndDateTime"
        "/udt:DateTimeString",
    },
    vat=f"{_SETTLEMENT}/ram:ApplicableTradeTax",
    vat_fields={
        "category": "ram:CategoryCode",
        "rate": "ram:RateApplicablePercent",
        "taxable_amount": "ram:BasisAmount",
        "tax_amount": "ram:CalculatedAmount",
        "exemption_reason": ("ram:ExemptionReason", "ram:ExemptionReasonCode"),
    },
    # The breakdown is only ever in the invoice currency.
    vat_currency=None,
    tax_total=f"{_SUMMATION}/ram:TaxTotalAmount",
    totals={
        "line_total": f"{_SUMMATION}/ram:LineTotalAmount",
        "allowance_total": f"{_SUMMATION}/ram:AllowanceTotalAmount",
        "charge_total": f"{_SUMMATION}/ram:ChargeTotalAmount",
        "tax_exclusive": f"{_SUMMATION}/ram:TaxBasisTotalAmount",
        "tax_inclusive": f"{_SUMMATION}/ram:GrandTotalAmount",
        "prepaid": f"{_SUMMATION}/ram:TotalPrepaidAmount",
        "rounding": f"{_SUMMATION}/ram:RoundingAmount",
        "payable": f"{_SUMMATION}/ram:DuePayableAmount",
    },
    payment={
        "means_code": f"{_CII_MEANS}/ram:TypeCode",
        "means_text": f"{_CII_MEANS}/ram:Information",
        "iban": (
            f"{_CII_MEANS}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
            f"{_CII_MEANS}/ram:PayeePartyCreditorFinancialAccount/ram:ProprietaryID",
        ),
        "bic": f"{_CII_MEANS}/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
        "account_name": f"{_CII_MEANS}/ram:PayeePartyCreditorFinancialAccount/ram:AccountName",
        "remittance": f"{_SETTLEMENT}/ram:PaymentReference",
        "due_date": f"{_CII_TERMS}/ram:DueDateDateTime/udt:DateTimeString",
        "mandate": f"{_CII_TERMS}/ram:DirectDebitMandateID",
        "creditor_id": f"{_SETTLEMENT}/ram:CreditorReferenceID",
        "debited_account": f"{_CII_MEANS}/ram:PayerPartyDebtorFinancialAccount/ram:IBANID",
    },
    payment_terms=f"{_CII_TERMS}/ram:Description/text()",
)

SYNTAXES = {UBL_INVOICE: UBL_INVOICE_PATHS, UBL_CREDIT_NOTE: UBL_CREDIT_NOTE_PATHS, CII: CII_PATHS}
