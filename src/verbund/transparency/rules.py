"""Pure rules of the transparency figures: small-count suppression, the median, the map's
classes. No database."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# Statistical disclosure control: a figure standing on fewer cases than this is not shown,
# so that nobody can be recognised behind a number (issue 16: "counts under 5 suppressed").
MIN_CASES = 5
SUPPRESSED = "< 5"
NO_CASES = "–"

# Measures kept in `Figure.measure`
SERVICES_ONLINE = "services_online"  # number of services with an online form usable here
COVERAGE_OZG = "coverage_ozg"  # OZG-Leistungen online here, share of those run by Land/Kommune
COVERAGE_TOP = "coverage_top"  # share of the most-asked services online here
APPLICATIONS = "applications"  # per month (period), per service at Land level (service)
APPLICATIONS_TOTAL = "applications_total"
PROCESSING_MEDIAN = "processing_median_days"
EINVOICES = "einvoices"  # per month
EINVOICES_REJECTED = "einvoices_rejected"  # per month
EINVOICES_REJECTED_SHARE = "einvoices_rejected_share"
DATASETS = "datasets"
IND_ONLINE = "ind_online"
IND_SUPPORT = "ind_support"
IND_TRANSPARENCY = "ind_transparency"
IND_EID = "ind_eid"
IND_PREFILL = "ind_prefill"

INDICATORS = (IND_ONLINE, IND_SUPPORT, IND_TRANSPARENCY, IND_EID, IND_PREFILL)
COUNT_MEASURES = {APPLICATIONS, APPLICATIONS_TOTAL, EINVOICES, EINVOICES_REJECTED, DATASETS}

# How many of the editorially marked most-asked services (highest search boost) form the
# "top services" the coverage is also counted against.
TOP_SERVICES = 10

# Map classes: share online in percent, upper bounds. Colour-blind-safe sequential palette
# (ColorBrewer "YlGnBu", 5 classes; distinguishable in deuteranopia, protanopia, tritanopia).
CLASS_BOUNDS = (20.0, 40.0, 60.0, 80.0, 100.0)
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA_COLOUR = "#d9d9d9"


def is_suppressed(cases: int) -> bool:
    return 0 < cases < MIN_CASES


def format_number(value: float | None, *, decimals: int = 0) -> str:
    if value is None:
        return NO_CASES
    text = f"{value:,.{decimals}f}"
    # German digit grouping and decimal comma
    return text.replace(",", "\u202f").replace(".", ",")


def display_count(count: int) -> str:
    """A count as published: fewer than 5 (but not 0) is "< 5"."""
    return SUPPRESSED if is_suppressed(count) else format_number(count)


def display_derived(value: float | None, cases: int, *, decimals: int = 0, unit: str = "") -> str:
    """A share, median or mean standing on `cases` records: hidden below 5 cases."""
    if cases == 0 or value is None:
        return NO_CASES
    if is_suppressed(cases):
        return SUPPRESSED
    text = format_number(value, decimals=decimals)
    return f"{text}\u00a0{unit}" if unit else text


def csv_count(count: int) -> str:
    return SUPPRESSED if is_suppressed(count) else str(count)


def csv_derived(value: float | None, cases: int, *, decimals: int = 1) -> str:
    if cases == 0 or value is None:
        return ""
    if is_suppressed(cases):
        return SUPPRESSED
    return f"{value:.{decimals}f}"


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


@dataclass(frozen=True)
class MapClass:
    index: int
    lower: float
    upper: float
    colour: str


def map_classes() -> list[MapClass]:
    lower = 0.0
    classes = []
    for index, (upper, colour) in enumerate(zip(CLASS_BOUNDS, PALETTE, strict=True)):
        classes.append(MapClass(index=index, lower=lower, upper=upper, colour=colour))
        lower = upper
    return classes


def class_of(percent: float | None) -> int | None:
    """The map class of a share in percent (None: no data); the upper bound belongs to it."""
    if percent is None:
        return None
    for index, upper in enumerate(CLASS_BOUNDS):
        if percent <= upper:
            return index
    return len(CLASS_BOUNDS) - 1


def month_of(moment: object) -> str:
    """YYYY-MM of a date or datetime."""
    return f"{moment:%Y-%m}"


# Facts about the administration (which services are online, which authorities publish their
# contacts), not about persons: shown without suppression.
ADMINISTRATION_MEASURES = {
    SERVICES_ONLINE,
    COVERAGE_OZG,
    COVERAGE_TOP,
    IND_ONLINE,
    IND_SUPPORT,
    IND_TRANSPARENCY,
}


def display(measure: str, value: float | None, cases: int, *, unit: str = "") -> str:
    """A stored figure as the pages show it."""
    if measure in COUNT_MEASURES:
        return display_count(int(value or 0))
    if measure in ADMINISTRATION_MEASURES:
        if value is None:
            return NO_CASES
        # a Gemeinde's own count of services without a decimal place; means and shares with one
        whole = measure == SERVICES_ONLINE and float(value).is_integer()
        text = format_number(value, decimals=0 if whole else 1)
        return f"{text}\u00a0{unit}" if unit else text
    return display_derived(value, cases, decimals=1, unit=unit)


def csv_value(measure: str, value: float | None, cases: int) -> str:
    """A stored figure as the CSV files publish it."""
    if measure in COUNT_MEASURES:
        return csv_count(int(value or 0))
    if measure in ADMINISTRATION_MEASURES:
        return "" if value is None else f"{value:.1f}"
    return csv_derived(value, cases)


def csv_cases(measure: str, cases: int) -> str:
    return str(cases) if measure in ADMINISTRATION_MEASURES else csv_count(cases)
