"""The public transparency dashboard: no login, read from the precomputed figures only."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_safe

from verbund.core.errors import DomainError
from verbund.transparency import cartography, charts, exports, queries, rules

MEASURE_ROWS = (
    # measure, label, unit
    (rules.SERVICES_ONLINE, gettext_noop("Leistungen online beantragbar (Zahl)"), ""),
    (rules.COVERAGE_OZG, gettext_noop("Abdeckung nach OZG-Zählung"), "%"),
    (rules.COVERAGE_TOP, gettext_noop("Anteil der meistgefragten Leistungen online"), "%"),
    (rules.APPLICATIONS_TOTAL, gettext_noop("Online-Anträge insgesamt"), ""),
    (rules.PROCESSING_MEDIAN, gettext_noop("Bearbeitungszeit (Median, Tage)"), ""),
    (rules.EINVOICES_REJECTED_SHARE, gettext_noop("Abgelehnte E-Rechnungen"), "%"),
    (rules.DATASETS, gettext_noop("Veröffentlichte offene Datensätze"), ""),
)
INDICATOR_ROWS = (
    (rules.IND_ONLINE, gettext_noop("Online-Verfügbarkeit"), "%"),
    (rules.IND_SUPPORT, gettext_noop("Nutzerunterstützung"), "%"),
    (rules.IND_TRANSPARENCY, gettext_noop("Transparenz der Leistungserbringung"), "%"),
    (rules.IND_EID, gettext_noop("Nutzung der eID"), "%"),
    (rules.IND_PREFILL, gettext_noop("Vorausgefüllte Formulare (Once-Only)"), "%"),
)


def _region_or_404(key: str) -> queries.Region:
    try:
        return queries.region_for(key)
    except DomainError as error:
        raise Http404(str(error)) from error


def _rows(figures: queries.Figures, land: queries.Figures, spec: Any) -> list[dict[str, str]]:
    return [
        {
            "measure": measure,
            "label": label,
            "value": rules.display(
                measure, figures.value(measure), figures.cases(measure), unit=unit
            ),
            "land": rules.display(measure, land.value(measure), land.cases(measure), unit=unit),
        }
        for measure, label, unit in spec
    ]


def _series(figures: queries.Figures, measure: str, months: list[str]) -> list[tuple[str, int]]:
    """Counts per month (the stored value; 0 for months without any)."""
    values = figures.series.get(measure, {})
    return [(month, int(values.get(month, (None, 0))[0] or 0)) for month in months]


def _map_regions(level: str, measure: str) -> list[charts.MapRegion]:
    shapes = cartography.load_map(queries.land_key())[
        "gemeinden" if level == "gemeinde" else "kreise"
    ]
    values = queries.measure_by_region(measure, level)
    regions = []
    for key, shape in sorted(shapes.items()):
        value, cases = values.get(key, (None, 0))
        regions.append(
            charts.MapRegion(
                key=key,
                name=shape["name"],
                path=shape["d"],
                css_class=charts.css_class_for(value, cases),
                display=rules.display(measure, value, cases, unit="%"),
                url=reverse("transparency:region", args=[key]),
            )
        )
    return regions


@require_safe
def land(request: HttpRequest) -> HttpResponse:
    return region(request, queries.land_key())


@require_safe
def region(request: HttpRequest, key: str) -> HttpResponse:
    place = _region_or_404(key)
    figures = queries.figures_of(place.level, place.key)
    land_figures = (
        figures if place.level == "land" else queries.figures_of("land", queries.land_key())
    )
    months = queries.last_months(timezone.localdate())
    applications = _series(figures, rules.APPLICATIONS, months)
    einvoices = _series(figures, rules.EINVOICES, months)
    rejected = dict(_series(figures, rules.EINVOICES_REJECTED, months))
    context: dict[str, Any] = {
        "place": place,
        "run": queries.latest_run(),
        "figures": _rows(figures, land_figures, MEASURE_ROWS),
        "indicators": _rows(figures, land_figures, INDICATOR_ROWS),
        "applications": [(m, rules.display_count(c)) for m, c in applications],
        "applications_chart": charts.bar_chart(applications),
        "einvoices": [
            (m, rules.display_count(c), rules.display_count(rejected.get(m, 0)))
            for m, c in einvoices
        ],
        "einvoices_chart": charts.bar_chart(einvoices),
        "legend": charts.legend(),
    }
    if place.level == "land":
        context["map_regions"] = _map_regions("kreis", rules.COVERAGE_TOP)
        context["map_view_box"] = cartography.load_map(place.key)["view_box"]
        context["map_attribution"] = cartography.load_map(place.key)["attribution"]
    if place.level == "kreis":
        values = queries.measure_by_region(rules.COVERAGE_TOP, "gemeinde")
        names = queries.gemeinden_of_kreis(place.key)
        context["members"] = [
            (key, name, rules.display(rules.COVERAGE_TOP, *values.get(key, (None, 0)), unit="%"))
            for key, name in names
        ]
    return render(request, "transparency/region.html", context)


@require_safe
def map_page(request: HttpRequest) -> HttpResponse:
    data = cartography.load_map(queries.land_key())
    return render(
        request,
        "transparency/map.html",
        {
            "map_regions": _map_regions("gemeinde", rules.COVERAGE_TOP),
            "map_former": list(data.get("former", {}).values()),
            "map_view_box": data["view_box"],
            "map_attribution": data["attribution"],
            "legend": charts.legend(),
            "run": queries.latest_run(),
        },
    )


@require_safe
def methodology(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "transparency/methodology.html",
        {
            "min_cases": rules.MIN_CASES,
            "top_services": rules.TOP_SERVICES,
            "tables": exports.TABLES,
        },
    )


def _csv(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def region_csv(request: HttpRequest, key: str) -> HttpResponse:
    place = _region_or_404(key)
    return _csv(exports.region_csv(place.level, place.key), f"transparenz-{place.key}.csv")


@require_safe
def table_csv(request: HttpRequest, name: str) -> HttpResponse:
    for table in exports.TABLES:
        if table.name == name:
            return _csv(exports.TABLE_CSV[name](), table.filename)
    raise Http404("Unbekannte Tabelle.")
