"""Attachments the XML Schema need not read at length (docs/decisions/0018-einvoice-speed.md):
`engine.shorten_attachments` cuts an attachment before the schema check only where libxml2
surely accepts its base64 content, so the schema's findings stay exactly what they were."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from lxml import etree

from verbund.core.testing import needs
from verbund.einvoices.validation import ruleset as rs
from verbund.einvoices.validation import validate
from verbund.einvoices.validation.engine import (
    ATTACHMENT_KEPT,
    ATTACHMENTS,
    base64_beyond_doubt,
    for_the_rules,
    schema_findings,
    shorten_attachments,
)

RULES = Path(settings.VERBUND_EINVOICE_RULES)

# base64Binary as the UBL and CII schemas use it: simple content extended by attributes
BASE64_SCHEMA = etree.XMLSchema(
    etree.fromstring(
        """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t"
            elementFormDefault="qualified">
          <xs:element name="b"><xs:complexType><xs:simpleContent>
            <xs:extension base="xs:base64Binary">
              <xs:attribute name="mimeCode" type="xs:token" use="required"/>
            </xs:extension>
          </xs:simpleContent></xs:complexType></xs:element>
        </xs:schema>"""
    )
)


def libxml2_accepts(content: str) -> bool:
    element = etree.Element("{urn:t}b", mimeCode="application/pdf")
    element.text = content
    return BASE64_SCHEMA.validate(etree.ElementTree(element))


@pytest.mark.parametrize(
    ("content", "sure"),
    [
        ("QUJD", True),
        ("QUI=", True),
        ("QQ==", True),
        ("  QU\nJD \r\n\t", True),  # XML whitespace anywhere
        ("QQ ==", True),
        ("QUJ=", False),  # the spare bits of "J" are not zero: libxml2 refuses
        ("QR==", False),
        ("QUJ", False),  # not a whole group of four
        ("Q===", False),
        ("QU=D", False),  # padding in the middle
        ("QQ= =", False),  # accepted by libxml2, but not beyond doubt here
        ("QUJD!", False),  # libxml2 skips the stray "!": accepted, yet not sure here
        ("QUJDé", False),
        ("QUJD\u00a0", False),  # no XML whitespace
    ],
)
def test_base64_beyond_doubt_is_a_strict_subset_of_what_libxml2_accepts(
    content: str, sure: bool
) -> None:
    assert base64_beyond_doubt(content) is sure
    if sure:
        assert libxml2_accepts(content)


STRAY = ["!", "=", "-", "_", "é", "\u00a0", "A", "==", "\x0c"]


@hypothesis_settings(max_examples=400, deadline=None)
@given(
    data=st.binary(max_size=64),
    spaces=st.lists(
        st.tuples(st.integers(min_value=0), st.sampled_from([" ", "\n", "\r\n", "\t", "  "])),
        max_size=6,
    ),
    change=st.one_of(
        st.none(),
        st.tuples(st.just("drop"), st.integers(min_value=0)),
        st.tuples(st.just("insert"), st.integers(min_value=0), st.sampled_from(STRAY)),
        st.tuples(st.just("last"), st.sampled_from("ABCDEFGHwxyz0189+/")),
    ),
)
def test_whatever_is_beyond_doubt_libxml2_accepts(data, spaces, change) -> None:
    encoded = base64.b64encode(data).decode("ascii")
    letters = len(encoded.rstrip("="))
    content = encoded
    for position, space in sorted(spaces, reverse=True):  # only among the letters
        at = position % (letters + 1)
        content = content[:at] + space + content[at:]
    if change is None:
        # a clean encoding, whitespace anywhere before the padding: the fast path takes it
        assert base64_beyond_doubt(content)
    elif change[0] == "drop" and content:
        at = change[1] % len(content)
        content = content[:at] + content[at + 1 :]
    elif change[0] == "insert":
        at = change[1] % (len(content) + 1)
        content = content[:at] + change[2] + content[at:]
    elif change[0] == "last":
        stripped = content.rstrip("=")
        content = stripped[:-1] + change[1] + content[len(stripped) :]
    if base64_beyond_doubt(content):
        assert libxml2_accepts(content), repr(content)


def _attachment_documents() -> list[tuple[Path, bytes]]:
    found = []
    for path in sorted((RULES / "testsuite").rglob("*.xml")) + sorted(
        (RULES / "unit-tests").rglob("*.xml")
    ):
        data = path.read_bytes()
        if b"BinaryObject" in data and len(data) > 50_000:
            found.append((path, data))
    return found


def _variants(root: etree._Element) -> list[tuple[str, etree._Element]]:
    """The document, and the document with schema errors of several kinds: on the
    attachment itself, beside it, after it, and in its content."""
    variants = [("as is", root)]
    attachment = next(root.iter(*ATTACHMENTS))

    def changed(name: str, change) -> None:  # type: ignore[no-untyped-def]
        copy = etree.fromstring(etree.tostring(root))
        change(next(copy.iter(*ATTACHMENTS)), copy)
        variants.append((name, copy))

    changed("no mimeCode", lambda a, _r: a.attrib.pop("mimeCode", None))
    changed("unknown attribute", lambda a, _r: a.set("colour", "blue"))
    changed("unexpected element after it", lambda a, _r: a.addnext(etree.Element("{urn:x}Odd")))
    changed("unexpected last element", lambda _a, r: r.append(etree.Element("{urn:x}Odd")))
    changed("a letter missing", lambda a, _r: setattr(a, "text", a.text.strip()[1:]))
    changed("spare bits set", lambda a, _r: setattr(a, "text", a.text.strip()[:-4] + "QR=="))
    changed("a stray character", lambda a, _r: setattr(a, "text", "!" + a.text))
    assert attachment is not None
    return variants


def test_shortened_attachments_leave_the_schema_findings_as_they_were() -> None:
    needs("rules")
    rules = rs.ruleset(RULES)
    shortened = compared = 0
    for path, data in _attachment_documents():
        try:
            original = etree.fromstring(data)
        except etree.XMLSyntaxError:
            continue
        scenario = rules.select(original, lambda: pytest.fail("XPath 1.0 matches expected"))
        if scenario is None:
            continue
        schema = rules.schemas[scenario.xsd]
        for name, variant in _variants(original):
            text = etree.tostring(variant)  # both parsed alike: the same line numbers
            whole, cut = etree.fromstring(text), etree.fromstring(text)
            if shorten_attachments(cut):
                shortened += 1
                assert len(etree.tostring(cut)) < len(text) - 1000
            assert schema_findings(schema, cut) == schema_findings(schema, whole), (
                path.name,
                name,
            )
            compared += 1
    # every official large document's attachment is clean base64: the fast path runs
    assert shortened >= 25 * 4, shortened
    assert compared >= 25 * 8, compared


def test_only_long_clean_attachments_are_shortened_before_the_schema() -> None:
    cbc = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    body = "QUJD" * 100
    wrapped = "\n".join(body[i : i + 76] for i in range(0, len(body), 76))
    doc = etree.fromstring(
        f'<Invoice xmlns:cbc="{cbc}"><cbc:EmbeddedDocumentBinaryObject mimeCode="a" '
        f'filename="f">\n   {wrapped}\n</cbc:EmbeddedDocumentBinaryObject>'
        f"<cbc:EmbeddedDocumentBinaryObject>!{body}</cbc:EmbeddedDocumentBinaryObject>"
        f"<cbc:EmbeddedDocumentBinaryObject>QUJD</cbc:EmbeddedDocumentBinaryObject>"
        f"<cbc:Note>{body}</cbc:Note></Invoice>"
    )
    assert shorten_attachments(doc)
    clean, stray, short, note = doc
    # leading whitespace kept, then the first base64 letters, without the line breaks
    assert clean.text == "\n   " + body[:ATTACHMENT_KEPT]
    assert libxml2_accepts(clean.text)
    assert clean.get("mimeCode") == "a" and clean.get("filename") == "f"
    assert stray.text == "!" + body and short.text == "QUJD" and note.text == body
    # the rules get the one left whole cut as well, and the whole tree
    rules_text = etree.fromstring(for_the_rules(doc, shortened=True) or "")
    assert rules_text[0].text == clean.text
    assert rules_text[1].text == ("!" + body)[:ATTACHMENT_KEPT]
    assert not shorten_attachments(etree.fromstring(f"<Invoice><Note>{body}</Note></Invoice>"))


def test_a_broken_attachment_in_a_large_invoice_is_still_refused_by_the_schema() -> None:
    needs("rules")
    path, data = next(
        (p, d) for p, d in _attachment_documents() if "testsuite" in p.parts and b"cbc:" in d
    )
    report = validate(data)
    assert report.valid, path.name
    root = etree.fromstring(data)
    attachment = next(root.iter(*ATTACHMENTS))
    attachment.text = attachment.text.strip()[1:]  # one letter short
    broken = validate(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert not broken.valid
    assert [f.rule for f in broken.findings] == ["XSD"]
    assert broken.findings[0].location.endswith("cbc:EmbeddedDocumentBinaryObject")
    # libxml2 quotes the refused value (64 KB of it); the finding keeps its beginning
    message = broken.findings[0].message
    assert len(message) < 400, len(message)
    assert f"'{attachment.text[:40]}…'" in message
    assert "EmbeddedDocumentBinaryObject" in message
    # and the report keeps the document as it came, attachments whole
    assert report.xml == data


def test_long_quoted_values_are_cut_in_schema_messages_but_element_names_are_not() -> None:
    from verbund.einvoices.validation.engine import _without_long_values

    cii = (
        "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
        "AttachmentBinaryObject"
    )
    value = "QUJD" * 5000
    message = (
        f"Element '{cii}': '{value}' is not a valid value of the atomic type 'xs:base64Binary'."
    )
    assert _without_long_values(message) == (
        f"Element '{cii}': '{value[:40]}…' is not a valid value of the atomic type "
        "'xs:base64Binary'."
    )
    # cut off by libxml2 without its closing quote
    assert _without_long_values(f"Element '{cii}': '{value}") == f"Element '{cii}': '{value[:40]}…'"
    short = f"Element '{cii}': 'QUJD!' is not a valid value."
    assert _without_long_values(short) == short
    # a message about the structure, however long, stays whole
    expected = ", ".join(f"{{urn:oasis:names:ubl:CommonBasicComponents-2}}E{n}" for n in range(9))
    structure = f"Element '{cii}': This element is not expected. Expected is one of ( {expected} )."
    assert _without_long_values(structure) == structure
    facet = f"Element 'a': [facet 'pattern'] The value '{value}' is not accepted by the pattern"
    assert _without_long_values(facet) == (
        f"Element 'a': [facet 'pattern'] The value '{value[:40]}…' is not accepted by the pattern"
    )
    attribute = f"Element '{cii}', attribute 'mimeCode': '{value}' is not a valid value."
    assert _without_long_values(attribute) == (
        f"Element '{cii}', attribute 'mimeCode': '{value[:40]}…' is not a valid value."
    )
