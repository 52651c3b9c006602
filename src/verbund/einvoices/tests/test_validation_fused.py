"""The fused Schematron pass (docs/decisions/0018-einvoice-speed.md): one walk over the
document for all of a scenario's rule files, writing only what fired, must report exactly
what the files' separate SVRL reports say (rules, severities, locations, messages, order)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from lxml import etree

from verbund.core.testing import needs
from verbund.einvoices.tests.test_validation_engine import INCLUDED, SCHEMA
from verbund.einvoices.validation import Finding
from verbund.einvoices.validation import ruleset as rs
from verbund.einvoices.validation import schematron as sch
from verbund.einvoices.validation.engine import parse_fired, parse_svrl

RULES = Path(settings.VERBUND_EINVOICE_RULES)
SCHEMATRON = "http://purl.oclc.org/dsdl/schematron"

SECOND = """<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <ns prefix="t" uri="urn:test"/>
  <pattern id="second">
    <rule context="t:line">
      <assert test="t:v" id="S-V" flag="warning">[S-V] line without v</assert>
    </rule>
    <rule context="t:line | t:doc">
      <report test="true()" id="S-SHADOWED-FOR-LINES">[S] <name/> seen</report>
    </rule>
  </pattern>
</schema>
"""

CLASH = """<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <ns prefix="t" uri="urn:test"/>
  <let name="max" value="99"/>
  <pattern id="clash"><rule context="t:doc"><assert test="true()" id="C">c</assert></rule>
  </pattern>
</schema>
"""


def _separate(sheets: list[rs.Stylesheet], xml: str) -> list[Finding]:
    node = rs.parse_for_saxon(xml)
    found: list[Finding] = []
    for sheet in sheets:
        found.extend(parse_svrl(rs.run(sheet.executable, node), only_rules=sheet.only_rules))
    return found


def _fused(sheets: list[rs.Stylesheet], xml: str) -> list[Finding]:
    fused = rs.compile_fused(sheets, {})
    assert fused is not None
    return parse_fired(rs.run(fused.executable, rs.parse_for_saxon(xml)))


@pytest.fixture
def sheets(tmp_path: Path) -> list[rs.Stylesheet]:
    (tmp_path / "main.sch").write_text(SCHEMA, encoding="utf-8")
    (tmp_path / "inc.sch").write_text(INCLUDED, encoding="utf-8")
    (tmp_path / "second.sch").write_text(SECOND, encoding="utf-8")
    return [
        rs.compile_stylesheet(tmp_path / "main.sch", {"token": "1.2"}),
        rs.compile_stylesheet(tmp_path / "second.sch", {}, only_rules=frozenset({"S-V"})),
    ]


@pytest.mark.parametrize(
    "xml",
    [
        '<doc xmlns="urn:test"><line><v>x</v></line><line/><line><v>12</v></line></doc>',
        '<doc xmlns="urn:test"><line><v>a</v></line></doc>',
        '<doc xmlns="urn:test"><x><line/></x><line>\n  <v>\t1 </v></line></doc>',
    ],
)
def test_fused_pass_reports_what_the_separate_stylesheets_report(
    sheets: list[rs.Stylesheet], xml: str
) -> None:
    separate = _separate(sheets, xml)
    assert separate, "the example documents are meant to fire rules"
    # First matching rule per pattern only (R-SHADOWED never fires), rules of a file
    # limited to `only_rules` (S-SHADOWED-FOR-LINES is not kept), order by file/pattern.
    assert {f.rule for f in separate} <= {"R-A", "R-AB", "R-COUNT", "R-FIRST", "S-V"}
    assert _fused(sheets, xml) == separate


def test_files_that_cannot_share_a_pass_run_apart(
    sheets: list[rs.Stylesheet], tmp_path: Path
) -> None:
    (tmp_path / "clash.sch").write_text(CLASH, encoding="utf-8")
    clash = rs.compile_stylesheet(tmp_path / "clash.sch", {})
    # main.sch's global $max is 1, clash.sch's is 99: one stylesheet cannot hold both.
    assert rs.compile_fused([sheets[0], clash], {}) is None


def _documents() -> list[Path]:
    return sorted((RULES / "testsuite").rglob("*.xml")) + sorted(
        (RULES / "unit-tests").rglob("*.xml")
    )


def test_fused_pass_equals_the_separate_reports_on_the_official_files() -> None:
    """Every test-suite invoice and every rule-test document that a scenario takes."""
    needs("rules")
    rules = rs.ruleset(RULES)
    assert all(rules.fused.values()), "the EN 16931 and XRechnung files share one pass"
    compared = fired = 0
    for path in _documents():
        try:
            root = etree.fromstring(path.read_bytes())
        except etree.XMLSyntaxError:
            continue
        scenario = rules.select(root, lambda: pytest.fail("XPath 1.0 matches expected"))
        if scenario is None:
            continue
        xml = etree.tostring(root, encoding="unicode")
        node = rs.parse_for_saxon(xml)
        fused = rules.fused_for(scenario)
        assert fused is not None
        one_pass = parse_fired(rs.run(fused.executable, node), levels=scenario.custom_levels)
        apart: list[Finding] = []
        for sheet in rules.stylesheets_for(scenario):
            apart.extend(
                parse_svrl(
                    rs.run(sheet.executable, node),
                    only_rules=sheet.only_rules,
                    levels=scenario.custom_levels,
                )
            )
        assert one_pass == apart, path.relative_to(RULES)
        compared += 1
        fired += len(apart)
    assert compared >= 400 and fired >= 600, (compared, fired)


@pytest.mark.parametrize(
    ("context", "faster"),
    [
        ("//*[ends-with(name(), 'Amount')]", "*[ends-with(local-name(), 'Amount')]"),
        ("//ram:*[ends-with(name(),'ID')]", "ram:*[ends-with(local-name(), 'ID')]"),
        ("//cac:PostalAddress | //cac:Address", "cac:PostalAddress | cac:Address"),
        ("cac:Party//cbc:ID", "cac:Party//cbc:ID"),
        ("(/ubl:Invoice | /cn:CreditNote)[$x]", "(/ubl:Invoice | /cn:CreditNote)[$x]"),
        ("//t:a[@k = '|'] | /t:b", "t:a[@k = '|'] | /t:b"),
        # A colon in the literal: the prefixed name is compared, and kept.
        ("//*[ends-with(name(), 'cbc:ID')]", "*[ends-with(name(), 'cbc:ID')]"),
        ("//t:a union //t:b", "//t:a union //t:b"),
        # A function of the rules' own with the same local name is not fn:ends-with.
        ("//*[u:ends-with(name(), 'ID')]", "*[u:ends-with(name(), 'ID')]"),
    ],
)
def test_rule_contexts_are_rewritten_only_into_equivalents(context: str, faster: str) -> None:
    assert sch._faster_context(context) == faster


@pytest.mark.parametrize(
    "context",
    [
        "//*[ends-with(name(), 'Amount')]",
        "//t:*[ends-with(name(), 'ID') and not(self::t:ID)]",
        "//t:line | //u:line",
        "//*[ends-with(name(), 'x:Amount')]",
    ],
)
def test_rewritten_contexts_match_the_same_nodes(context: str) -> None:
    """Against Saxon on a document with prefixes, a default namespace and no namespace."""
    xml = (
        '<t:doc xmlns:t="urn:t" xmlns:u="urn:u" xmlns:x="urn:x"><t:Amount/><u:line>'
        "<x:Amount/><t:ID/><t:PartyID/><Amount/></u:line><t:line/><t:TaxAmount/>"
        '<line xmlns="urn:t"><ID/><Amount/></line></t:doc>'
    )

    def matched(pattern: str) -> str:
        sheet = (
            '<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"'
            ' xmlns:t="urn:t" xmlns:u="urn:u"><xsl:output method="text"/>'
            '<xsl:template match="/"><xsl:apply-templates select="//*"/></xsl:template>'
            f'<xsl:template match="{sch._attr(pattern)}" priority="2">'
            '<xsl:value-of select="path(.)"/><xsl:text>;</xsl:text></xsl:template>'
            '<xsl:template match="*" priority="1"/></xsl:stylesheet>'
        )
        return rs.run(rs._compile_xslt(sheet), rs.parse_for_saxon(xml))

    original = matched(context)
    assert original, "the example document is meant to match"
    assert matched(sch._faster_context(context)) == original


# Where the name of an attachment element may stand in a rule's XPath without its content
# being read: before an attribute step or a predicate on an attribute or variable, at the
# end of a predicate or a name test (existence), or as the whole argument path of a function
# that only asks whether nodes exist or how many.
_ATTACHMENT_NAME = re.compile(r"BinaryObject")
_AFTER_NAME = re.compile(r"/@|\[@|\[\$|\]|'|\"|\s*(?:\||$|\band\b|\bor\b)")
_EXISTENCE_FUNCTIONS = {"count", "not", "exists", "empty", "boolean"}
_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
_ATTRIBUTE = re.compile(r"@[\w:.-]+")
_CONTENT_READ = re.compile(r"\.|text\(\)|string|data\(|node\(\)|matches|tokenize|substring")


def _enclosing_function(expression: str, position: int) -> str:
    """The name of the function whose argument list holds `position`, or ""."""
    depth = 0
    for index in range(position - 1, -1, -1):
        char = expression[index]
        if char == ")":
            depth += 1
        elif char == "(":
            if depth == 0:
                name = re.search(r"([\w:-]+)\s*$", expression[:index])
                return name.group(1) if name else ""
            depth -= 1
    return ""


def reads_attachment_content(expression: str) -> bool:
    """Whether an XPath may read the content of an attachment element."""
    for match in _ATTACHMENT_NAME.finditer(expression):
        rest = expression[match.end() :]
        if _AFTER_NAME.match(rest):
            continue
        if rest.lstrip().startswith(")") and (
            _enclosing_function(expression, match.start()) in _EXISTENCE_FUNCTIONS
        ):
            continue
        return True
    return False


def test_the_attachment_check_tells_a_content_read() -> None:
    for used in (
        "cbc:EmbeddedDocumentBinaryObject/@filename = preceding-sibling::x/@filename",
        "//*[ends-with(name(), 'BinaryObject')]",
        "cbc:EmbeddedDocumentBinaryObject[@mimeCode]",
        "not(ram:AttachmentBinaryObject) or (ram:TypeCode='916')",
        "count(ram:X[normalize-space(ram:T) = '916']/ram:AttachmentBinaryObject) <= 1",
        "cac:Attachment[cbc:EmbeddedDocumentBinaryObject]",
    ):
        assert not reads_attachment_content(used), used
    for read in (
        "string-length(cbc:EmbeddedDocumentBinaryObject) > 0",
        "cac:Attachment[cbc:EmbeddedDocumentBinaryObject = 'x']",
        "normalize-space(cbc:EmbeddedDocumentBinaryObject) != ''",
        "cbc:EmbeddedDocumentBinaryObject/text()",
        "matches(cbc:EmbeddedDocumentBinaryObject, '^[A-Z]+$')",
    ):
        assert reads_attachment_content(read), read


def _rule_texts() -> list[tuple[Path, etree._Element]]:
    return [
        (path, element)
        for path in sorted((RULES / "schematron").rglob("*.sch"))
        for element in etree.parse(str(path)).iter()
        if isinstance(element.tag, str)
    ]


def test_no_rule_reads_the_content_of_an_attachment() -> None:
    """`engine.for_the_rules` hands the rules attachments cut to their first characters:
    this holds only while no rule reads an attachment's content. A rule update that does
    fails here (the rules are pinned by rules.sha256, so the update runs these tests)."""
    needs("rules")
    seen = 0
    checks = (f"{{{SCHEMATRON}}}assert", f"{{{SCHEMATRON}}}report")
    for path, element in _rule_texts():
        for name in ("context", "test", "select", "value"):
            expression = element.get(name) or ""
            if "BinaryObject" not in expression:
                continue
            seen += 1
            assert not reads_attachment_content(expression), (path.name, expression)
            if name != "context":
                continue
            # a rule on the attachment elements: its tests may read attributes only
            for check in element.iter(*checks):
                test = _ATTRIBUTE.sub("", _LITERAL.sub("", check.get("test", "")))
                test = test.replace(".[", "[")  # the context node filtered by attributes
                assert not _CONTENT_READ.search(test), (path.name, check.get("test"))
    assert seen >= 8, seen  # the EN 16931 and XRechnung rules on attachments were read


def test_attachments_reach_the_rules_shortened_and_the_rules_find_the_same() -> None:
    from verbund.einvoices.validation.engine import ATTACHMENT_KEPT, for_the_rules

    needs("rules")
    rules = rs.ruleset(RULES)
    compared = 0
    for path in _documents():
        data = path.read_bytes()
        if b"BinaryObject" not in data:
            continue
        try:
            root = etree.fromstring(data)
        except etree.XMLSyntaxError:
            continue
        scenario = rules.select(root, lambda: pytest.fail("XPath 1.0 matches expected"))
        fused = rules.fused_for(scenario) if scenario else None
        if fused is None:
            continue
        whole = etree.tostring(root, encoding="unicode")
        cut = for_the_rules(root)
        if cut is None:
            continue
        assert len(cut) < len(whole) - ATTACHMENT_KEPT, path.name
        found = [
            parse_fired(rs.run(fused.executable, rs.parse_for_saxon(text))) for text in (whole, cut)
        ]
        assert found[0] == found[1], path.relative_to(RULES)
        compared += 1
    assert compared >= 30, compared


def test_only_long_attachment_content_is_cut() -> None:
    from verbund.einvoices.validation.engine import ATTACHMENT_KEPT, for_the_rules

    cbc = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    body = "QUJD" * 100
    doc = etree.fromstring(
        f'<Invoice xmlns:cbc="{cbc}"><cbc:EmbeddedDocumentBinaryObject mimeCode="a" '
        f'filename="f">\n   {body}</cbc:EmbeddedDocumentBinaryObject>'
        f"<cbc:Note>{body}</cbc:Note>"
        f"<cbc:EmbeddedDocumentBinaryObject>QUJD</cbc:EmbeddedDocumentBinaryObject></Invoice>"
    )
    cut = etree.fromstring(for_the_rules(doc) or "")
    first, note, short = cut
    # leading whitespace is kept and does not count: the content stays what it was
    assert first.text == "\n   " + body[:ATTACHMENT_KEPT]
    assert first.get("mimeCode") == "a" and first.get("filename") == "f"
    assert note.text == body and short.text == "QUJD"
    assert for_the_rules(etree.fromstring(f"<Invoice><Note>{body}</Note></Invoice>")) is None
