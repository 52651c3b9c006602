"""Validation of e-invoices (XRechnung, EN 16931; UBL and CII) as the KoSIT validator does it.

Three stages: XML safety and well-formedness, XML Schema, Schematron (compiled to XSLT 3.0
and run with saxonche). See docs/architecture.md, section "E-Rechnung: validation".
"""

from verbund.einvoices.validation.engine import validate
from verbund.einvoices.validation.report import Finding, Report, Severity, Unexaminable

__all__ = ["Finding", "Report", "Severity", "Unexaminable", "validate"]
