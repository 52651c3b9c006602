"""The result types of the e-invoice validation: findings, the report, and the refusal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from verbund.core.errors import InvalidInput


class Severity(StrEnum):
    """How grave a finding is, as in the KoSIT validator report."""

    FATAL = "fatal"
    WARNING = "warning"
    INFORMATION = "information"


@dataclass(frozen=True)
class Finding:
    """One rule that fired on the document (or one XML/XSD error)."""

    rule: str
    severity: Severity
    location: str
    message: str
    stage: str  # "xml" | "schema" | "schematron"


@dataclass(frozen=True)
class Report:
    """What `validate()` found out about one document."""

    valid: bool  # no fatal finding after the scenario's customLevel overrides
    syntax: str  # "UBL" | "CII"
    document_type: str  # "Invoice" | "CreditNote" | "CrossIndustryInvoice"
    customization_id: str  # BT-24
    scenario: str | None  # name of the matched scenarios.xml scenario
    findings: tuple[Finding, ...]
    xml: bytes  # the examined XML (extracted from the PDF for ZUGFeRD/Factur-X)
    source_format: str  # "xml" | "pdf"

    @property
    def fatal(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.FATAL)

    def to_dict(self) -> dict[str, Any]:
        """The API shape: `{"valid", "syntax", "scenario", "findings": [...]}`."""
        return {
            "valid": self.valid,
            "syntax": self.syntax,
            "scenario": self.scenario,
            "findings": [
                {
                    "rule": f.rule,
                    "severity": str(f.severity),
                    "location": f.location,
                    "message": f.message,
                }
                for f in self.findings
            ],
        }


class Unexaminable(InvalidInput):
    """The document could not be examined at all (not an invoice with findings).

    `code` is one of: "empty", "too_large", "not_xml", "malformed_xml", "dtd_forbidden",
    "too_deep", "pdf_without_xml", "unknown_document_type".
    """

    code = "unexaminable"

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code)
