"""The figures as CSV (semicolon-separated, UTF-8), suppressed as on the pages: for the
downloads and for the datasets the platform publishes about itself (issue 16)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from verbund.transparency import queries, rules


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def region_csv(level: str, key: str) -> str:
    names = queries.names_by_key()
    rows = (
        [
            f.level,
            f.key,
            names.get(f.key, ""),
            f.measure,
            f.period,
            f.service,
            rules.csv_value(f.measure, f.value, f.cases),
            rules.csv_cases(f.measure, f.cases),
        ]
        for f in queries.figure_rows_of(level, key)
    )
    header = ["ebene", "schluessel", "name", "kennzahl", "monat", "leistung", "wert", "faelle"]
    return to_csv(header, rows)


def online_services_csv() -> str:
    names = queries.names_by_key()
    values = {
        m: queries.measure_by_region(m, "gemeinde")
        for m in (rules.SERVICES_ONLINE, rules.COVERAGE_TOP, rules.COVERAGE_OZG)
    }
    rows = []
    for key in sorted(values[rules.SERVICES_ONLINE]):
        online, _ = values[rules.SERVICES_ONLINE][key]
        top, _ = values[rules.COVERAGE_TOP].get(key, (None, 0))
        ozg, _ = values[rules.COVERAGE_OZG].get(key, (None, 0))
        rows.append(
            [
                key,
                names.get(key, ""),
                key[:5],
                "" if online is None else int(online),
                "" if top is None else f"{top:.1f}",
                "" if ozg is None else f"{ozg:.2f}",
            ]
        )
    header = [
        "ags",
        "gemeinde",
        "kreis",
        "dienste_online",
        "anteil_meistgefragte_prozent",
        "anteil_ozg_prozent",
    ]
    return to_csv(header, rows)


def applications_csv() -> str:
    rows = (
        [f.period, f.service, rules.csv_count(f.cases)]
        for f in queries.monthly_figures(rules.APPLICATIONS, "land", by_service=True)
    )
    return to_csv(["monat", "leistung", "antraege"], rows)


def einvoices_csv() -> str:
    names = queries.names_by_key()
    rejected = {
        (f.level, f.key, f.period): f.value
        for f in queries.monthly_figures(rules.EINVOICES_REJECTED, None)
    }
    rows = (
        [
            f.level,
            f.key,
            names.get(f.key, ""),
            f.period,
            rules.csv_count(f.cases),
            rules.csv_count(int(rejected.get((f.level, f.key, f.period)) or 0)),
        ]
        for f in queries.monthly_figures(rules.EINVOICES, None)
    )
    return to_csv(["ebene", "schluessel", "name", "monat", "eingegangen", "abgelehnt"], rows)


def processing_times_csv() -> str:
    names = queries.names_by_key()
    rows = []
    for level in ("land", "kreis", "gemeinde"):
        for key, (value, cases) in sorted(
            queries.measure_by_region(rules.PROCESSING_MEDIAN, level).items()
        ):
            if cases == 0:
                continue
            rows.append(
                [
                    level,
                    key,
                    names.get(key, ""),
                    rules.csv_derived(value, cases),
                    rules.csv_count(cases),
                ]
            )
    return to_csv(["ebene", "schluessel", "name", "median_tage", "faelle"], rows)


@dataclass(frozen=True)
class PublishedTable:
    name: str
    filename: str
    title: str
    description: str
    keywords: tuple[str, ...]


# The datasets the platform publishes about itself (issue 16), regenerated with every run.
TABLES = (
    PublishedTable(
        "verbund-kennzahlen-online-dienste",
        "online-dienste-je-gemeinde.csv",
        gettext_noop("Online verfügbare Verwaltungsleistungen je Gemeinde"),
        gettext_noop(
            "Je Gemeinde: Zahl der Leistungen, die dort online beantragt werden können, und ihr "
            "Anteil an den meistgefragten Leistungen und an den OZG-Leistungen von Land und "
            "Kommunen. Aggregiert, ohne personenbezogene Daten."
        ),
        ("OZG", "Onlinezugang", "Verwaltungsdigitalisierung"),
    ),
    PublishedTable(
        "verbund-kennzahlen-antraege",
        "antraege-je-monat-und-leistung.csv",
        gettext_noop("Online-Anträge je Monat und Leistung"),
        gettext_noop(
            "Zahl der über die Plattform eingereichten Anträge je Monat und Leistung. Werte unter "
            "5 sind als „< 5“ unterdrückt."
        ),
        ("Anträge", "Onlinezugang"),
    ),
    PublishedTable(
        "verbund-kennzahlen-e-rechnungen",
        "e-rechnungen-je-monat.csv",
        gettext_noop("Eingegangene und abgelehnte E-Rechnungen je Monat"),
        gettext_noop(
            "E-Rechnungen (XRechnung) je Land, Kreis und Gemeinde und Monat, davon abgelehnt. "
            "Werte unter 5 sind als „< 5“ unterdrückt."
        ),
        ("E-Rechnung", "XRechnung"),
    ),
    PublishedTable(
        "verbund-kennzahlen-bearbeitungszeiten",
        "bearbeitungszeiten.csv",
        gettext_noop("Bearbeitungszeiten der Online-Anträge"),
        gettext_noop(
            "Median der Tage vom Eingang eines Antrags bis zum Bescheid je Land, Kreis und "
            "Gemeinde. Bei weniger als 5 Fällen unterdrückt."
        ),
        ("Bearbeitungszeit", "Verwaltung"),
    ),
)

TABLE_CSV = {
    "verbund-kennzahlen-online-dienste": online_services_csv,
    "verbund-kennzahlen-antraege": applications_csv,
    "verbund-kennzahlen-e-rechnungen": einvoices_csv,
    "verbund-kennzahlen-bearbeitungszeiten": processing_times_csv,
}
