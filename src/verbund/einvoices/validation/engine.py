"""`validate()`: the three stages (XML safety, XML Schema, Schematron) and scenario matching."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from lxml import etree
from saxonche import PySaxonApiError, PyXdmNode

from verbund.einvoices.validation import ruleset as rs
from verbund.einvoices.validation import schematron as sch
from verbund.einvoices.validation.report import Finding, Report, Severity, Unexaminable
from verbund.einvoices.validation.safety import examine, text_of

logger = logging.getLogger(__name__)

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDITNOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
SVRL = "http://purl.oclc.org/dsdl/svrl"

DOCUMENT_TYPES = {
    f"{{{UBL_INVOICE}}}Invoice": ("UBL", "Invoice"),
    f"{{{UBL_CREDITNOTE}}}CreditNote": ("UBL", "CreditNote"),
    f"{{{CII}}}CrossIndustryInvoice": ("CII", "CrossIndustryInvoice"),
}

# Prefixes for readable locations (`/ubl:Invoice[1]/cac:AccountingSupplierParty[1]`).
PREFIXES = {
    UBL_INVOICE: "ubl",
    UBL_CREDITNOTE: "cn",
    CBC: "cbc",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2": "ext",
    CII: "rsm",
    RAM: "ram",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt",
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
}
_QNAME = re.compile(r"Q\{([^}]*)\}")


def readable_location(path: str) -> str:
    return _QNAME.sub(lambda m: _prefix(m), path)


def _prefix(match: re.Match[str]) -> str:
    uri = match.group(1)
    if uri in PREFIXES:
        return f"{PREFIXES[uri]}:"
    return match.group(0) if uri else ""


def customization_id(root: etree._Element) -> str:
    if root.tag == f"{{{CII}}}CrossIndustryInvoice":
        found = root.findtext(
            f"{{{CII}}}ExchangedDocumentContext/{{{RAM}}}GuidelineSpecifiedDocumentContextParameter"
            f"/{{{RAM}}}ID"
        )
    else:
        found = root.findtext(f"{{{CBC}}}CustomizationID")
    return (found or "").strip()


def severity_of(flag: str, role: str) -> Severity:
    for value in (flag, role):
        level = rs.LEVELS.get(value.strip().lower())
        if level is not None:
            return level
    return Severity.FATAL


def parse_svrl(
    svrl: str, *, only_rules: Iterable[str] | None = None, levels: dict[str, Severity] | None = None
) -> list[Finding]:
    """Findings of one SVRL document (failed asserts and successful reports)."""
    if "failed-assert" not in svrl and "successful-report" not in svrl:
        return []  # nothing fired (the usual case): no need to parse the report
    keep = frozenset(only_rules) if only_rules is not None else None
    root = etree.fromstring(
        svrl.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
    )
    findings = []
    for element in root:
        if element.tag not in (f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
            continue
        rule = element.get("id") or element.get("test") or ""
        if keep is not None and rule not in keep:
            continue
        severity = severity_of(element.get("flag") or "", element.get("role") or "")
        if levels and rule in levels:
            severity = levels[rule]
        text = element.findtext(f"{{{SVRL}}}text") or ""
        findings.append(
            Finding(
                rule=rule,
                severity=severity,
                location=readable_location(element.get("location") or ""),
                message=" ".join(text.split()),
                stage="schematron",
            )
        )
    return findings


# libxml2 quotes the value it refuses after a colon ("Element 'x': '…' is not a valid
# value …") or in a facet's words ("[facet 'pattern'] The value '…' is not accepted …"):
# for an attachment that is up to 64 KB of base64 (it cuts there itself, without the
# closing quote). The finding keeps its beginning; names and the rest stay whole.
_LONG_VALUE = re.compile(r"(?:(?<=: )|(?<=The value ))'([^']{100,})(?:'|$)")
QUOTED_KEPT = 40


def _without_long_values(message: str) -> str:
    return _LONG_VALUE.sub(lambda m: f"'{m.group(1)[:QUOTED_KEPT]}…'", message)


def schema_findings(schema: etree.XMLSchema, root: etree._Element) -> list[Finding]:
    if schema.validate(root.getroottree()):
        return []
    findings = []
    for error in schema.error_log:  # type: ignore[attr-defined]
        findings.append(
            Finding(
                rule="XSD",
                severity=Severity.FATAL,
                location=error.path or f"Zeile {error.line}",
                message=(
                    f"Zeile {error.line}, Spalte {error.column}: "
                    f"{_without_long_values(error.message)}"
                ),
                stage="schema",
            )
        )
    return findings


def schema_findings_locked(rules: rs.RuleSet, xsd: Path, root: etree._Element) -> list[Finding]:
    with rules.schema_lock(xsd):
        return schema_findings(rules.schemas[xsd], root)


def parse_fired(text: str, *, levels: dict[str, Severity] | None = None) -> list[Finding]:
    """Findings of a fused pass (one line per fired assertion, see `compile_fused`), in
    the order the separate SVRL reports give them: by file, by pattern, then document order."""
    if not text:
        return []  # nothing fired (the usual case)
    rows = []
    for line in text.split("\n"):
        if not line:
            continue
        fields = line.split("\t", sch.FUSED_FIELDS - 1)
        if len(fields) != sch.FUSED_FIELDS:
            raise ValueError(f"malformed line of a fused Schematron pass: {line[:200]!r}")
        rows.append(fields)
    rows.sort(key=lambda f: (int(f[0]), int(f[1])))  # stable: document order within
    findings = []
    for _file, _pattern, rule, flag, role, location, message in rows:
        severity = severity_of(flag, role)
        if levels and rule in levels:
            severity = levels[rule]
        findings.append(
            Finding(
                rule=rule,
                severity=severity,
                location=readable_location(location),
                message=" ".join(message.split()),
                stage="schematron",
            )
        )
    return findings


def _schematron_findings(
    rules: rs.RuleSet, scenario: rs.Scenario, node: PyXdmNode
) -> list[Finding]:
    fused = rules.fused_for(scenario)
    if fused is not None:
        try:
            return parse_fired(rs.run(fused.executable, node), levels=scenario.custom_levels)
        except PySaxonApiError as exc:
            # A dynamic error in one file: run them apart, so that only that file's rules
            # are reported as not executable (as without fusing).
            logger.info("fused Schematron failed, running the files apart: %s", exc)
    findings: list[Finding] = []
    for sheet in rules.stylesheets_for(scenario):
        try:
            svrl = rs.run(sheet.executable, node)
        except PySaxonApiError as exc:
            logger.warning("Schematron %s failed: %s", sheet.name, exc)
            findings.append(
                Finding(
                    rule="SCHEMATRON-ERROR",
                    severity=Severity.FATAL,
                    location="/",
                    message=f"Die Prüfregeln {sheet.name} konnten nicht ausgeführt werden.",
                    stage="schematron",
                )
            )
            continue
        findings.extend(
            parse_svrl(svrl, only_rules=sheet.only_rules, levels=scenario.custom_levels)
        )
    return findings


# The elements that carry attachments (BT-125), base64 of up to megabytes: no rule of EN 16931
# or XRechnung reads their content, only their attributes (mimeCode, filename) and that
# they exist (`test_validation_fused.py` checks the shipped rules for it).
ATTACHMENTS = (
    "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
    "EmbeddedDocumentBinaryObject",
    "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
    "AttachmentBinaryObject",
)
# How much of an attachment's content the rules' document keeps: enough to stay what it
# was (not empty, the same leading characters), little enough not to cost Saxon anything.
ATTACHMENT_KEPT = 64

_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_XML_SPACE = b" \t\r\n"
_NO_XML_SPACE = str.maketrans("", "", _XML_SPACE.decode())


def base64_beyond_doubt(content: str) -> bool:
    """Whether the schema's base64Binary check (libxml2) surely accepts `content`: only
    base64 letters and XML whitespace, one or two `=` at the very end, a length that fills
    whole groups of four and padding whose spare bits are zero. False means "not sure",
    never "invalid": then the schema reads the content itself. (libxml2 also accepts
    stray characters, which it skips; this check does not.)"""
    try:
        raw = content.encode("ascii")
    except UnicodeEncodeError:
        return False
    spaces = raw.translate(None, _BASE64 + b"=")  # what is neither a letter nor padding
    if spaces.translate(None, _XML_SPACE):
        return False
    tail = raw.rstrip(_XML_SPACE)
    data = tail.rstrip(b"=")
    pad = len(tail) - len(data)
    if pad > 2 or raw.find(b"=") not in (-1, len(data)):
        return False
    letters = len(raw) - len(spaces) - pad
    if pad == 0:
        return letters % 4 == 0
    last = data.rstrip(_XML_SPACE)[-1:]
    if not last or letters % 4 != 4 - pad:
        return False
    # the last letter's bits beyond the data: two before one "=", four before two
    spare = 0b000011 if pad == 1 else 0b001111
    return _BASE64.index(last) & spare == 0


def shorten_attachments(root: etree._Element) -> bool:
    """Before the XML Schema check: cut every long attachment whose content the schema
    surely accepts (`base64_beyond_doubt`) to its leading whitespace and first
    `ATTACHMENT_KEPT` base64 letters, which the schema accepts as well. libxml2 checks
    base64 at about 5 ns a character (1.2 ms for a 200 KB attachment), this check at a
    tenth of it; an attachment in doubt stays whole, so the schema finds what it found.
    Changes `root`; True when anything was cut."""
    shortened = False
    for element in root.iter(*ATTACHMENTS):
        content = element.text
        if content is None or len(content) <= 4 * ATTACHMENT_KEPT or len(element):
            continue
        lead = len(content) - len(content.lstrip())
        kept = content[lead : lead + 4 * ATTACHMENT_KEPT].translate(_NO_XML_SPACE)
        if len(kept) < ATTACHMENT_KEPT + 4 or "=" in kept or not base64_beyond_doubt(content):
            continue
        element.text = content[:lead] + kept[:ATTACHMENT_KEPT]
        shortened = True
    return shortened


def for_the_rules(root: etree._Element, *, shortened: bool = False) -> str | None:
    """The document as the Schematron rules need it, or None when that is the document
    as it is: attachments shortened to their first `ATTACHMENT_KEPT` characters after
    any leading whitespace (those `shorten_attachments` left whole too). Saxon parses a
    420 KB invoice whose attachments are so shortened in a fraction of the time, and the
    rules find the same (measured on the 24 large test-suite invoices: identical output,
    decision 0018). `shortened`: the tree was cut before. Changes `root`."""
    for element in root.iter(*ATTACHMENTS):
        content = element.text
        if content is None or len(content) <= ATTACHMENT_KEPT or len(element):
            continue
        lead = len(content) - len(content.lstrip())
        if len(content) > lead + ATTACHMENT_KEPT:
            element.text = content[: lead + ATTACHMENT_KEPT]
            shortened = True
    # the whole tree: comments and processing instructions beside the root stay too
    return etree.tostring(root.getroottree(), encoding="unicode") if shortened else None


def validate(data: bytes) -> Report:
    """Examine one e-invoice (XML, or a ZUGFeRD/Factur-X PDF) and report the findings.

    Raises `Unexaminable` when the document cannot be examined. Thread-safe; no network.
    """
    try:
        rules: rs.RuleSet | None = rs.ruleset()
    except rs.RulesUnavailable:
        rules = None  # examine the document first: refusing bad input needs no rules
    examined = examine(data)
    xml, source_format, root = examined.xml, examined.source_format, examined.root
    del examined
    kind = DOCUMENT_TYPES.get(root.tag)
    if kind is None:
        raise Unexaminable(
            "Das XML ist weder eine UBL-Rechnung oder -Gutschrift noch eine CII-Rechnung "
            f"(Wurzelelement {root.tag}).",
            code="unknown_document_type",
        )
    syntax, document_type = kind
    if rules is None:
        rules = rs.ruleset()  # raises RulesUnavailable again: an operator error
    text = text_of(xml, root)
    saxon_node: list[PyXdmNode] = []

    def node() -> PyXdmNode:
        """The document parsed by Saxon (once, and only when a stylesheet needs it)."""
        if not saxon_node:
            try:
                saxon_node.append(rs.parse_for_saxon(text))
            except PySaxonApiError as exc:  # pragma: no cover - lxml accepted it already
                raise Unexaminable(
                    f"Das XML kann nicht gelesen werden: {exc}", code="malformed_xml"
                ) from None
        return saxon_node[0]

    scenario = rules.select(root, node)
    bt24 = customization_id(root)
    findings: list[Finding] = []
    if scenario is None:
        findings.append(
            Finding(
                rule="KOSIT-SCENARIO",
                severity=Severity.FATAL,
                location="/",
                message=(
                    "Kein Prüfszenario passt zu diesem Dokument: die Spezifikationskennung "
                    f"(BT-24) {bt24!r} ist keine XRechnung- oder EN-16931-Kennung."
                ),
                stage="xml",
            )
        )
    else:
        large = len(text) >= rs.LARGE_DOCUMENT
        # Attachments the schema surely accepts need not be read by it at length.
        shortened = large and shorten_attachments(root)
        findings.extend(schema_findings_locked(rules, scenario.xsd, root))
        if not findings and not saxon_node and large:
            # The rules read only the attachments' attributes.
            text = for_the_rules(root, shortened=shortened) or text
        # The lxml tree is not needed any more: freeing it before Saxon builds its own
        # keeps the two trees from competing for the CPU caches (measured: bench/einvoice.py).
        del root
        # As the KoSIT validator does, Schematron runs only on a schema-valid document.
        if not findings:
            findings.extend(_schematron_findings(rules, scenario, node()))
    return Report(
        valid=not any(f.severity is Severity.FATAL for f in findings),
        syntax=syntax,
        document_type=document_type,
        customization_id=bt24,
        scenario=scenario.name if scenario else None,
        findings=tuple(findings),
        xml=xml,
        source_format=source_format,
    )


def run_schematron(sheets: Iterable[rs.Stylesheet], root: etree._Element) -> list[Finding]:
    """The raw findings of compiled Schematron rules on one XML tree (no XSD, no scenario).

    The rule-level unit tests use this, as the KoSIT and CEN test harnesses do.
    """
    node = rs.parse_for_saxon(etree.tostring(root, encoding="unicode"))
    findings: list[Finding] = []
    for sheet in sheets:
        findings.extend(parse_svrl(rs.run(sheet.executable, node), only_rules=sheet.only_rules))
    return findings
