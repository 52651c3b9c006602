"""`validate()`: the three stages (XML safety, XML Schema, Schematron) and scenario matching."""

from __future__ import annotations

from verbund.einvoices.validation.report import Report


def validate(data: bytes) -> Report:
    """Examine one e-invoice (XML, or a ZUGFeRD/Factur-X PDF) and report the findings.

    Raises `Unexaminable` when the document cannot be examined. Thread-safe; no network.
    """
    raise NotImplementedError("the validation engine is being built on branch einvoices-engine")
