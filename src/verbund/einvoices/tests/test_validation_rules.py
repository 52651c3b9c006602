"""The done-when tests of the validation engine against the official files of the rule
directory (real saxonche, real Schematron, real test suite; one test per file).

- every invoice of the KoSIT test suite is accepted by `validate()`;
- every CEN rule test (`unit-tests/en16931/`) and every KoSIT rule test
  (`unit-tests/xrechnung/`) gives the expected result; the KoSIT cases that expect a
  Peppol BIS 3 rule (PEPPOL-EN16931-R…) to fire need the optional Peppol rule file
  (docs/einvoice-rules.md) and are expected failures while it is not in the rule directory.
"""

from __future__ import annotations

import collections
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings

from verbund.core.testing import data_params
from verbund.einvoices.tests.ruletests import Case, vefa_cases, xmute_cases
from verbund.einvoices.validation import Severity, validate
from verbund.einvoices.validation import ruleset as rs
from verbund.einvoices.validation.engine import run_schematron

RULES = Path(settings.VERBUND_EINVOICE_RULES)


def _files(sub: str) -> list[Path]:
    return sorted((RULES / sub).rglob("*.xml")) if (RULES / sub).is_dir() else []


def _id(path: Path) -> str:
    return str(path.relative_to(RULES))


@cache
def _rules() -> rs.RuleSet:
    return rs.ruleset(RULES)


def _sheets(stem: str) -> list[rs.Stylesheet]:
    found = [s for p, s in _rules().stylesheets.items() if p.stem == stem]
    assert found, f"{stem} not compiled"
    return found


def _xrechnung_sheets(syntax: str) -> list[rs.Stylesheet]:
    sheets = _sheets(f"XRechnung-{syntax}-validation")
    if syntax in _rules().peppol:
        sheets.append(_rules().peppol[syntax])
    return sheets


def _defined(syntax: str) -> frozenset[str]:
    ids: set[str] = set()
    for sheet in _xrechnung_sheets(syntax):
        ids |= sheet.rule_ids if sheet.only_rules is None else sheet.rule_ids & sheet.only_rules
    return frozenset(ids)


def _needs_peppol(case: Case) -> bool:
    return any(rule not in _defined(case.syntax) for rule in case.must_fire)


def _problems(case: Case, sheets: list[rs.Stylesheet]) -> list[str]:
    findings = run_schematron(sheets, case.document)
    fired = collections.Counter(f.rule for f in findings)
    severity = {f.rule: f.severity for f in findings}
    problems = []
    for rule, expected in case.must_fire.items():
        if rule not in fired:
            problems.append(f"{case.name}: {rule} did not fire")
        elif expected and severity[rule] != Severity(expected):
            problems.append(f"{case.name}: {rule} fired as {severity[rule]}, not {expected}")
        if rule in case.counts and fired[rule] != case.counts[rule]:
            problems.append(f"{case.name}: {rule} fired {fired[rule]}×, not {case.counts[rule]}×")
    for rule in sorted(case.must_not_fire & set(fired)):
        problems.append(f"{case.name}: {rule} fired but must not")
    if not case.must_fire and not case.must_not_fire:  # a complete example invoice
        problems += [
            f"{case.name}: {f.rule} {f.message}" for f in findings if f.severity is Severity.FATAL
        ]
    return problems


@pytest.mark.parametrize("path", data_params(_files("testsuite"), "rules"), ids=_id)
def test_every_testsuite_invoice_is_accepted(path: Path) -> None:
    report = validate(path.read_bytes())
    fatal = [f"{f.rule}: {f.message}" for f in report.findings if f.severity is Severity.FATAL]
    assert report.valid, fatal
    assert report.scenario and "XRechnung" in report.scenario
    assert report.syntax == ("CII" if "uncefact" in path.name else "UBL")


@pytest.mark.parametrize("path", data_params(_files("unit-tests/en16931"), "rules"), ids=_id)
def test_cen_rule_tests(path: Path) -> None:
    cases = vefa_cases(path)
    assert cases
    problems = []
    for case in cases:
        problems += _problems(case, _sheets(f"EN16931-{case.syntax}-validation"))
    assert not problems, problems


@pytest.mark.parametrize("path", data_params(_files("unit-tests/xrechnung"), "rules"), ids=_id)
def test_kosit_rule_tests(path: Path) -> None:
    """Every xmute case of the file, except those that need the Peppol rule file."""
    cases = [c for c in xmute_cases(path) if not _needs_peppol(c)]
    problems = []
    for case in cases:
        problems += _problems(case, _xrechnung_sheets(case.syntax))
    assert not problems, problems


def _files_with_peppol_cases() -> list[Path]:
    return [p for p in _files("unit-tests/xrechnung") if any(map(_needs_peppol, xmute_cases(p)))]


@pytest.mark.parametrize(
    "path", data_params(_files_with_peppol_cases() if RULES.is_dir() else [], "rules"), ids=_id
)
def test_kosit_rule_tests_of_peppol_rules(path: Path) -> None:
    """The cases that expect a Peppol BIS 3 rule to fire.

    Without the Peppol rule file they must fail for exactly that reason and no other (so the
    rest of each case is still checked); the test then reports an expected failure.
    """
    cases = [c for c in xmute_cases(path) if _needs_peppol(c)]
    peppol_problems, other_problems = [], []
    for case in cases:
        missing = {r for r in case.must_fire if r not in _defined(case.syntax)}
        for problem in _problems(case, _xrechnung_sheets(case.syntax)):
            rule = problem.split(": ", 1)[1].split(" ", 1)[0]
            (peppol_problems if rule in missing else other_problems).append(problem)
    assert not other_problems, other_problems
    if peppol_problems:
        rules = sorted({p.split(": ", 1)[1].split(" ", 1)[0] for p in peppol_problems})
        pytest.xfail(
            f"{len(cases)} cases expect {', '.join(rules)} from the Peppol BIS 3 rule file, "
            "which is not in the rule directory (docs/einvoice-rules.md)"
        )
