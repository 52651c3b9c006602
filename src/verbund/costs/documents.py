"""The statement as documents: a tagged PDF for people and CSV for the authority's
accounting; both from the stored lines, so that they show the same figures every time."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from verbund.costs import queries, rules
from verbund.costs.models import Statement


def statement_context(statement: Statement) -> dict[str, Any]:
    lines = [
        {
            **line,
            "label": rules.COMPONENTS.get(line["component"], line["component"]),
            "key_label": rules.KEYS.get(line["key"], line["key"]),
            "cost": rules.from_cents(line["cost_cents"]),
            "share": rules.from_cents(line["share_cents"]),
            "base_fee": rules.from_cents(line.get("base_fee_cents", 0)),
        }
        for line in statement.lines
    ]
    return {
        "statement": statement,
        "authority": statement.authority,
        "lines": lines,
        "total": rules.from_cents(statement.total_cents),
        "period": f"{statement.month:%m/%Y}",
    }


def render_statement_pdf(statement: Statement) -> bytes:
    """The statement as a tagged PDF (PDF/UA-1: structure tree, language, title)."""
    from weasyprint import HTML  # late: loads Pango

    with translation.override("de"):  # the document is German, whatever the page language
        html = render_to_string("costs/statement_pdf.html", statement_context(statement))
    pdf: bytes = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    return pdf


CSV_HEADER = [
    "Behörde",
    "ARS",
    "Monat",
    "Komponente",
    "Verteilschlüssel",
    "Kosten des Monats",
    "Grundbetrag",
    "Bemessungsgröße",
    "Summe der Bemessungsgrößen",
    "Anteil",
]


def statement_rows(statement: Statement) -> list[list[Any]]:
    context = statement_context(statement)
    return [
        [
            statement.authority.name,
            statement.party.split(" ")[0],
            f"{statement.month:%Y-%m}",
            line["label"],
            line["key_label"],
            line["cost"],
            line["base_fee"],
            line["weight"],
            line["total_weight"],
            line["share"],
        ]
        for line in context["lines"]
    ]


def render_statements_csv(statements: list[Statement]) -> str:
    """Statements as CSV (semicolon, decimal point, amounts in euro with two decimals)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for statement in statements:
        writer.writerows(statement_rows(statement))
    return out.getvalue()


def render_month_csv(land: Any, month: Any) -> str:
    """All statements of the Land's month and the Land's own part, one line per party and
    component: the column "Anteil" sums to the month's cost."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for statement in queries.statements_of_month(land, month):
        writer.writerows(statement_rows(statement))
    for allocation in queries.allocations_of(land, month):
        weights = allocation.population if allocation.key == rules.POPULATION else allocation.usage
        writer.writerow(
            [
                land.name,
                allocation.land_party,
                f"{month:%Y-%m}",
                rules.COMPONENTS[allocation.component],
                rules.KEYS[allocation.key],
                rules.from_cents(allocation.cost_cents),
                rules.from_cents(0),
                "",
                sum(int(w) for w in weights.values()),
                rules.from_cents(int(allocation.shares.get(allocation.land_party, 0))),
            ]
        )
    return out.getvalue()
