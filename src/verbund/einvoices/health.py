"""What the e-invoice domain adds to /healthz and to the outage answers (registered in
`EinvoicesConfig.ready`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from verbund.core.health import CheckResult
from verbund.einvoices.validation import ruleset as rs

EINVOICE_RULES_MESSAGE = _(
    "Die Prüfregeln für E-Rechnungen sind nicht installiert, daher kann gerade keine "
    "E-Rechnung geprüft oder angenommen werden. Bitte versuchen Sie es später erneut; der "
    "Betrieb ist informiert (`verbund fetch-data` installiert die Regeln)."
)


def check_einvoice_rules() -> CheckResult:
    """The e-invoice rule directory is there and names every file its scenarios use (the
    compilation itself takes seconds and happens on the first check of an invoice)."""
    directory = rs.rules_dir()
    try:
        if not directory.is_dir():
            raise rs.RulesUnavailable(f"Regelverzeichnis {directory} fehlt")
        rs.load_scenarios(directory, rs.build_tokens(directory))
    except rs.RulesUnavailable as exc:
        return CheckResult("einvoice_rules", False, f"Prüfregeln für E-Rechnungen: {exc}")
    return CheckResult("einvoice_rules", True, str(directory))
