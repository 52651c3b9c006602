"""The validation engine on hostile, broken and hybrid input, the report shape, severity
overrides of the scenarios, and the Schematron compiler on small hand-written schemas."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from lxml import etree
from pypdf import PdfWriter

from verbund.core.testing import needs
from verbund.einvoices.validation import Severity, Unexaminable, validate
from verbund.einvoices.validation import ruleset as rs
from verbund.einvoices.validation.safety import parse, text_of
from verbund.einvoices.validation.schematron import SchematronError, compile_schematron

RULES = Path(settings.VERBUND_EINVOICE_RULES)
UBL = RULES / "testsuite" / "business-cases" / "standard" / "01.01a-INVOICE_ubl.xml"
CII = RULES / "testsuite" / "business-cases" / "standard" / "01.02a-INVOICE_uncefact.xml"


@pytest.fixture(scope="module")
def ubl() -> bytes:
    needs("rules")
    return UBL.read_bytes()


def _code(data: bytes) -> str:
    with pytest.raises(Unexaminable) as caught:
        validate(data)
    assert caught.value.status == 422
    assert caught.value.message
    return str(caught.value.code)


def test_valid_invoice_report_and_api_shape(ubl: bytes) -> None:
    report = validate(ubl)
    assert report.valid
    assert (report.syntax, report.document_type) == ("UBL", "Invoice")
    assert report.scenario == "EN16931 XRechnung (UBL Invoice)"
    assert report.customization_id.endswith("xrechnung_3.0")
    assert report.source_format == "xml" and report.xml == ubl
    as_dict = report.to_dict()
    assert set(as_dict) == {"valid", "syntax", "scenario", "findings"}
    for finding in as_dict["findings"]:
        assert set(finding) == {"rule", "severity", "location", "message"}


def test_cii_invoice_is_recognised() -> None:
    needs("rules")
    report = validate(CII.read_bytes())
    assert report.valid
    assert (report.syntax, report.document_type) == ("CII", "CrossIndustryInvoice")
    assert report.scenario == "EN16931 XRechnung (CII)"


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "UTF-16", "windows-1252"])
def test_other_encodings_are_read_correctly(ubl: bytes, encoding: str) -> None:
    text = ubl.decode("utf-8").replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)
    assert f'encoding="{encoding}"' in text
    name = "Müller € GmbH" if encoding != "ISO-8859-1" else "Müller GmbH"
    data = text.replace("[Seller name]", name).encode(encoding, "xmlcharrefreplace")
    report = validate(data)
    assert report.valid, report.findings
    # What Saxon examines is the same text, not mojibake.
    node = rs.parse_for_saxon(text_of(data, parse(data)))
    assert name in node.string_value


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1", "UTF-16"])
def test_large_documents_reach_saxon_as_written(ubl: bytes, encoding: str) -> None:
    """A document of more than `LARGE_DOCUMENT` characters reaches Saxon as a file in
    memory, not as text: the same nodes, the same verdict, in every encoding."""
    note = "Öffnungszeiten Müllabfuhr " * (rs.LARGE_DOCUMENT // 20)
    text = ubl.decode("utf-8").replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)
    text = text.replace("finden.</cbc:Note>", f"finden. {note}</cbc:Note>", 1)
    data = text.encode(encoding, "xmlcharrefreplace")
    seen = text_of(data, parse(data))
    assert len(seen) >= rs.LARGE_DOCUMENT
    node = rs.parse_for_saxon(seen)
    with rs.SAXON_LOCK:
        as_text = rs.processor().parse_xml(xml_text=seen)
    assert node.string_value == as_text.string_value
    assert note.strip() in node.string_value
    # Another large document right after: its own nodes, not the first one's (the file
    # descriptor's number is free again and may be reused).
    other = seen.replace(note.strip(), "Zweites Dokument " * (rs.LARGE_DOCUMENT // 16))
    assert "Zweites Dokument" in rs.parse_for_saxon(other).string_value
    assert "Zweites Dokument" not in rs.parse_for_saxon(seen).string_value
    report = validate(data)
    small = validate(ubl)
    assert report.valid is small.valid
    assert [f.rule for f in report.findings] == [f.rule for f in small.findings]


def test_broken_rules_are_fatal_with_location_and_message(ubl: bytes) -> None:
    broken = ubl.replace(b"<cbc:BuyerReference>", b"<cbc:BuyerReference>  ").replace(
        b"</cbc:BuyerReference>", b"</cbc:BuyerReference><!-- -->", 1
    )
    tree = etree.fromstring(broken)
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    for element in tree.xpath("cbc:BuyerReference", namespaces=ns):
        element.getparent().remove(element)
    report = validate(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    assert not report.valid
    finding = next(f for f in report.findings if f.rule == "BR-DE-15")
    assert finding.severity is Severity.FATAL and finding.stage == "schematron"
    assert finding.location == "/ubl:Invoice[1]"
    assert "Buyer reference" in finding.message


def test_custom_level_of_the_scenario_overrides_the_rule_severity(ubl: bytes) -> None:
    # BR-CL-23 (unit of measure code) is fatal in EN 16931; the XRechnung scenario lowers it
    # to a warning, so the invoice is still accepted.
    tree = etree.fromstring(ubl)
    quantity = tree.xpath("//*[local-name()='InvoicedQuantity']")[0]
    quantity.set("unitCode", "NOT-A-UNIT")
    report = validate(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    finding = next(f for f in report.findings if f.rule == "BR-CL-23")
    assert finding.severity is Severity.WARNING
    assert report.valid


def test_schema_errors_are_reported_and_stop_before_schematron(ubl: bytes) -> None:
    data = ubl.replace(b"<cbc:IssueDate>", b"<cbc:Unknown>x</cbc:Unknown><cbc:IssueDate>", 1)
    report = validate(data)
    assert not report.valid
    assert report.findings and {f.stage for f in report.findings} == {"schema"}
    assert "Unknown" in report.findings[0].message


def test_unknown_specification_has_no_scenario(ubl: bytes) -> None:
    data = ubl.replace(
        b"urn:xeinkauf.de:kosit:xrechnung_3.0", b"urn:fdc:peppol.eu:2017:poacc:billing:3.0", 1
    )
    report = validate(data)
    assert not report.valid and report.scenario is None
    assert report.findings[0].rule == "KOSIT-SCENARIO"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"Rechnung Nr. 4711 \xc3\xbcber 100 EUR", "not_xml"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not_xml"),
        (b"<Invoice><unclosed></Invoice>", "malformed_xml"),
        (b"<?xml version='1.0'?><root/>", "unknown_document_type"),
    ],
    ids=["empty", "blank", "text", "png", "malformed", "unknown-root"],
)
def test_unexaminable_documents(data: bytes, code: str) -> None:
    assert _code(data) == code


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol4;</Invoice>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice SYSTEM "http://example.invalid/invoice.dtd">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"""


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        XXE,
        EXTERNAL_DTD,
        XXE.decode().replace('"1.0"?', '"1.0" encoding="UTF-16"?', 1).encode("utf-16"),
    ],
    ids=["billion-laughs", "xxe", "external-dtd", "xxe-utf16"],
)
def test_dtds_and_entities_are_refused_quickly(data: bytes) -> None:
    started = time.perf_counter()
    assert _code(data) == "dtd_forbidden"
    assert time.perf_counter() - started < 1


def test_deep_nesting_is_refused() -> None:
    depth = 100_000
    data = b"<a>" * depth + b"</a>" * depth
    started = time.perf_counter()
    assert _code(data) == "too_deep"
    assert time.perf_counter() - started < 2


def test_oversized_documents_are_refused(settings: object) -> None:
    settings.VERBUND_EINVOICE_MAX_BYTES = 1000  # type: ignore[attr-defined]
    assert _code(b"<Invoice>" + b" " * 2000 + b"</Invoice>") == "too_large"


def _pdf(attachments: dict[str, bytes]) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    for name, content in attachments.items():
        writer.add_attachment(name, content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_without_embedded_xml_is_refused() -> None:
    assert _code(_pdf({})) == "pdf_without_xml"
    assert _code(_pdf({"notes.txt": b"hello"})) == "pdf_without_xml"
    assert _code(b"%PDF-1.7\n garbage") == "pdf_without_xml"


def test_zugferd_pdf_is_validated_by_its_embedded_xml(ubl: bytes) -> None:
    data = _pdf({"logo.txt": b"x", "factur-x.xml": ubl})
    report = validate(data)
    assert report.valid and report.source_format == "pdf" and report.xml == ubl


def test_embedded_xml_is_examined_as_safely(ubl: bytes) -> None:
    assert _code(_pdf({"factur-x.xml": XXE})) == "dtd_forbidden"


def test_validate_is_thread_safe(ubl: bytes) -> None:
    results: list[bool] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                results.append(validate(ubl).valid)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and results == [True] * 12


def test_tokens_are_taken_from_the_rule_directory() -> None:
    needs("rules")
    tokens = rs.build_tokens(RULES)
    assert tokens["xrechnung.spec.id"] == (
        "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
    )
    compiled = compile_schematron(
        RULES / "schematron" / "xrechnung" / "ubl" / "XRechnung-UBL-validation.sch", tokens
    )
    assert "@xrechnung.version@" not in compiled.title and "3.0" in compiled.title


# --- the compiler on small hand-written schemas --------------------------------------------

SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <title>Test @token@</title>
  <ns prefix="t" uri="urn:test"/>
  <let name="limit" value="10"/>
  <include href="inc.sch"/>
  <pattern abstract="true" id="abstract">
    <rule context="$Line">
      <assert test="$A" flag="fatal" id="R-A">[R-A] <name/> needs $A</assert>
      <assert test="$AB" flag="warning" id="R-AB">[R-AB] value <value-of select="t:v"/></assert>
    </rule>
  </pattern>
  <pattern is-a="abstract" id="bound">
    <param name="Line" value="t:line"/>
    <param name="A" value="exists(t:v)"/>
    <param name="AB" value="number(t:v) &lt; $limit"/>
  </pattern>
  <pattern id="plain">
    <let name="count" value="count(//t:line)"/>
    <rule context="t:doc">
      <let name="first" value="t:line[1]/t:v"/>
      <report test="$count &gt; $max" flag="information" id="R-COUNT"
              diagnostics="d1">[R-COUNT] many</report>
      <assert test="$first != 'x'" id="R-FIRST" role="warning">[R-FIRST] first is x</assert>
    </rule>
    <rule context="t:doc">
      <assert test="false()" id="R-SHADOWED">never: t:doc is handled by the first rule</assert>
    </rule>
  </pattern>
  <diagnostics><diagnostic id="d1">count is <value-of select="$count"/></diagnostic></diagnostics>
</schema>
"""
INCLUDED = """<pattern xmlns="http://purl.oclc.org/dsdl/schematron" id="globals">
  <let name="max" value="1"/>
</pattern>"""


@pytest.fixture
def compiled(tmp_path: Path) -> rs.Stylesheet:
    (tmp_path / "main.sch").write_text(SCHEMA, encoding="utf-8")
    (tmp_path / "inc.sch").write_text(INCLUDED, encoding="utf-8")
    return rs.compile_stylesheet(tmp_path / "main.sch", {"token": "1.2"})


def _findings(sheet: rs.Stylesheet, xml: str) -> dict[str, list[str]]:
    from verbund.einvoices.validation.engine import run_schematron

    result: dict[str, list[str]] = {}
    for finding in run_schematron([sheet], etree.fromstring(xml)):
        result.setdefault(finding.rule, []).append(
            f"{finding.severity}|{finding.location}|{finding.message}"
        )
    return result


def test_compiler_abstract_patterns_lets_and_diagnostics(compiled: rs.Stylesheet) -> None:
    assert compiled.rule_ids == {"R-A", "R-AB", "R-COUNT", "R-FIRST", "R-SHADOWED"}
    found = _findings(
        compiled,
        '<doc xmlns="urn:test"><line><v>x</v></line><line/><line><v>12</v></line></doc>',
    )
    # $A and $AB are distinct parameters (no prefix confusion), $limit is a schema let.
    assert found["R-A"] == ["fatal|/Q{urn:test}doc[1]/Q{urn:test}line[2]|[R-A] line needs $A"]
    assert [m.split("|")[2] for m in found["R-AB"]] == [
        "[R-AB] value x",
        "[R-AB] value",  # no t:v: number(()) is NaN
        "[R-AB] value 12",
    ]
    assert found["R-COUNT"] == ["information|/Q{urn:test}doc[1]|[R-COUNT] many"]
    assert found["R-FIRST"][0].startswith("warning|")
    assert "R-SHADOWED" not in found  # a node fires only the first matching rule of a pattern
    clean = _findings(compiled, '<doc xmlns="urn:test"><line><v>1</v></line></doc>')
    assert clean == {}


def test_compiler_refuses_unsupported_constructs(tmp_path: Path) -> None:
    (tmp_path / "bad.sch").write_text(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">'
        '<pattern><rule context="a"><foo/></rule></pattern></schema>',
        encoding="utf-8",
    )
    with pytest.raises(SchematronError):
        compile_schematron(tmp_path / "bad.sch")
    (tmp_path / "xslt1.sch").write_text(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt"/>',
        encoding="utf-8",
    )
    with pytest.raises(SchematronError):
        compile_schematron(tmp_path / "xslt1.sch")


def test_compiled_xslt_is_cached_on_disk(tmp_path: Path, settings: object) -> None:
    (tmp_path / "main.sch").write_text(SCHEMA, encoding="utf-8")
    (tmp_path / "inc.sch").write_text(INCLUDED, encoding="utf-8")
    settings.VERBUND_EINVOICE_CACHE_DIR = str(tmp_path / "cache")  # type: ignore[attr-defined]
    first = rs.compile_stylesheet(tmp_path / "main.sch", {})
    cached = list((tmp_path / "cache").glob("main-*.xsl"))
    assert len(cached) == 1 and len(cached[0].stem) == len("main-") + 64
    second = rs.compile_stylesheet(tmp_path / "main.sch", {})
    assert second.rule_ids == first.rule_ids
    # A change of an included source is a new key.
    (tmp_path / "inc.sch").write_text(INCLUDED.replace('value="1"', 'value="2"'))
    rs.compile_stylesheet(tmp_path / "main.sch", {})
    assert len(list((tmp_path / "cache").glob("main-*.xsl"))) == 2


PEPPOL = """<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2"
  xmlns:u="utils">
  <ns prefix="cbc" uri="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"/>
  <ns prefix="ubl" uri="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>
  <ns prefix="xs" uri="http://www.w3.org/2001/XMLSchema"/>
  <function xmlns="http://www.w3.org/1999/XSL/Transform" name="u:always" as="xs:boolean">
    <param name="x"/><sequence select="true()"/>
  </function>
  <pattern>
    <rule context="/ubl:Invoice">
      <assert id="PEPPOL-EN16931-R001" flag="fatal" test="not(u:always(.))">adopted</assert>
      <assert id="PEPPOL-EN16931-R999" flag="fatal" test="false()">Peppol only</assert>
    </rule>
  </pattern>
</schema>"""


def test_a_peppol_rule_file_in_the_rule_directory_adds_the_adopted_rules(
    ubl: bytes, tmp_path: Path, settings: object
) -> None:
    from verbund.einvoices.validation import manifest

    copy = tmp_path / "rules"
    for name in manifest.read_manifest():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((RULES / name).read_bytes())
    (copy / "schematron" / "peppol").mkdir()
    (copy / "schematron" / "peppol" / "PEPPOL-EN16931-UBL.sch").write_text(PEPPOL)
    settings.VERBUND_EINVOICE_RULES = copy  # type: ignore[attr-defined]
    report = validate(ubl)
    rules = {f.rule for f in report.findings}
    assert "PEPPOL-EN16931-R001" in rules and "PEPPOL-EN16931-R999" not in rules
    assert not report.valid
