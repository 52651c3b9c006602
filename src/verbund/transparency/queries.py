"""Reads of the transparency dashboard. Public aggregate data: no tenant checks; every figure
leaves this module together with its number of cases, so suppression can be applied."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from verbund.core.errors import NotFound
from verbund.gebiete import queries as gebiete_queries
from verbund.transparency.models import AggregationRun, Figure

MONTHS_SHOWN = 12


@dataclass(frozen=True)
class Region:
    level: str
    key: str
    name: str
    kind: str
    kreis_key: str = ""
    kreis_name: str = ""


@dataclass
class Figures:
    """A region's figures by measure: plain values with their cases, months as series."""

    values: dict[str, tuple[float | None, int]] = field(default_factory=dict)
    series: dict[str, dict[str, tuple[float | None, int]]] = field(default_factory=dict)
    by_service: dict[str, dict[str, int]] = field(default_factory=dict)

    def value(self, measure: str) -> float | None:
        return self.values.get(measure, (None, 0))[0]

    def cases(self, measure: str) -> int:
        return self.values.get(measure, (None, 0))[1]


def land_key() -> str:
    return str(settings.VERBUND_LAND)


def region_for(key: str) -> Region:
    """The Land (2 digits), a Kreis (5) or a current Gemeinde (8) of the configured Land."""
    if not key.isdigit() or not key.startswith(land_key()) or len(key) not in (2, 5, 8):
        raise NotFound(f"Kein Gebiet mit dem Schlüssel {key}.", code="unknown_region")
    if len(key) == 2:
        land = gebiete_queries.get_land(key)
        return Region("land", key, land.display_name, land.get_type_display())
    if len(key) == 5:
        kreis = gebiete_queries.get_kreis(key)
        return Region("kreis", key, kreis.display_name, kreis.get_type_display())
    gemeinde = gebiete_queries.get_gemeinde(key)
    if not gemeinde.is_current or gemeinde.kreis is None:
        raise NotFound(f"Keine heutige Gemeinde mit dem Schlüssel {key}.", code="unknown_ags")
    return Region(
        "gemeinde",
        key,
        gemeinde.display_name,
        gemeinde.get_type_display(),
        kreis_key=gemeinde.kreis.key,
        kreis_name=gemeinde.kreis.display_name,
    )


def latest_run() -> AggregationRun | None:
    return AggregationRun.objects.filter(land_key=land_key()).order_by("-computed_at").first()


def figures_of(level: str, key: str) -> Figures:
    figures = Figures()
    series: dict[str, dict[str, tuple[float | None, int]]] = defaultdict(dict)
    by_service: dict[str, dict[str, int]] = defaultdict(dict)
    for measure, period, service, value, cases in Figure.objects.filter(
        level=level, key=key
    ).values_list("measure", "period", "service", "value", "cases"):
        if service:
            by_service[service][period] = cases
        elif period:
            series[measure][period] = (value, cases)
        else:
            figures.values[measure] = (value, cases)
    figures.series = dict(series)
    figures.by_service = dict(by_service)
    return figures


def last_months(today: datetime.date, count: int = MONTHS_SHOWN) -> list[str]:
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return months[::-1]


def measure_by_region(measure: str, level: str) -> dict[str, tuple[float | None, int]]:
    """key → (value, cases) of a whole-period measure for every region of a level."""
    return {
        key: (value, cases)
        for key, value, cases in Figure.objects.filter(
            measure=measure, level=level, period="", service=""
        ).values_list("key", "value", "cases")
    }


def names_by_key() -> dict[str, str]:
    land = gebiete_queries.get_land(land_key())
    names = {land.key: land.display_name}
    for kreis in gebiete_queries.kreise_of(land):
        names[kreis.key] = kreis.display_name
        for gemeinde in gebiete_queries.gemeinden_of_kreis(kreis):
            names[gemeinde.key] = gemeinde.display_name
    return names


def figure_rows_of(level: str, key: str) -> list[Figure]:
    return list(
        Figure.objects.filter(level=level, key=key).order_by("measure", "period", "service")
    )


def monthly_figures(measure: str, level: str | None, *, by_service: bool = False) -> list[Figure]:
    rows = Figure.objects.filter(measure=measure).exclude(period="")
    if level:
        rows = rows.filter(level=level)
    rows = rows.exclude(service="") if by_service else rows.filter(service="")
    return list(rows.order_by("level", "key", "period", "service"))


def gemeinden_of_kreis(kreis_key: str) -> list[tuple[str, str]]:
    kreis = gebiete_queries.get_kreis(kreis_key)
    return [(g.key, g.display_name) for g in gebiete_queries.gemeinden_of_kreis(kreis)]
