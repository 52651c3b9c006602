"""Bulk validation in worker processes gives the verdicts `validate()` gives in-process."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from pypdf import PdfWriter

from verbund.core.testing import needs
from verbund.einvoices.validation import Report, Unexaminable, validate
from verbund.einvoices.validation.pool import ValidationPool

RULES = Path(settings.VERBUND_EINVOICE_RULES)


def _broken(data: bytes) -> bytes:
    """A schema-invalid copy (an unknown element right after the root's first child)."""
    head, tail = data.split(b"<cbc:CustomizationID>", 1)
    return head + b"<cbc:Unknown>x</cbc:Unknown><cbc:CustomizationID>" + tail


def _zugferd(xml: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("factur-x.xml", xml)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_pool_gives_the_verdicts_of_validate() -> None:
    needs("rules")
    suite = sorted((RULES / "testsuite").rglob("*.xml"))
    ubl = next(p for p in suite if p.name.endswith("_ubl.xml")).read_bytes()
    cvd = next(p for p in suite if "cvd" in p.name).read_bytes()
    documents = [p.read_bytes() for p in suite[:12]] + [
        ubl.replace(b"<cbc:IssueDate>", b"<cbc:IssueDate>x", 1),  # schema error
        _broken(ubl),
        ubl.replace(b"xrechnung_3.0", b"xrechnung_9.9", 1),  # no scenario
        cvd,
        _zugferd(ubl),  # the report's XML is not the document sent
        b"<nicht",  # refused: malformed
        b"",  # refused: empty
    ]
    with ValidationPool(2) as pool:
        outcomes = list(pool.validate_many(documents))
    assert len(outcomes) == len(documents)
    verdicts = set()
    for data, outcome in zip(documents, outcomes, strict=True):
        try:
            expected: Report | Unexaminable = validate(data)
        except Unexaminable as exc:
            expected = exc
        if isinstance(expected, Unexaminable):
            assert isinstance(outcome, Unexaminable)
            assert (outcome.code, outcome.message) == (expected.code, expected.message)
            verdicts.add(f"refused:{expected.code}")
        else:
            # the whole report: findings, messages, locations and the examined XML
            assert outcome == expected
            verdicts.add(f"{expected.valid}:{expected.scenario is not None}")
    assert {o.source_format for o in outcomes if isinstance(o, Report)} == {"xml", "pdf"}
    assert all(o.xml for o in outcomes if isinstance(o, Report))
    assert verdicts >= {
        "True:True",
        "False:True",
        "False:False",
        "refused:malformed_xml",
        "refused:empty",
    }
