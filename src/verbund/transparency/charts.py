"""Server-rendered SVG charts and the choropleth map: geometry only, the templates draw it.
Every chart comes with the same numbers as a table, suppressed the same way."""

from __future__ import annotations

from dataclasses import dataclass

from verbund.transparency import rules

CHART_WIDTH = 600
CHART_HEIGHT = 220
PLOT_TOP = 20
PLOT_BOTTOM = 180
PLOT_LEFT = 40


@dataclass(frozen=True)
class Bar:
    label: str
    display: str
    x: float
    y: float
    width: float
    height: float
    suppressed: bool
    label_x: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    maximum: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    baseline: int = PLOT_BOTTOM

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def bar_chart(points: list[tuple[str, int]]) -> BarChart:
    """Bars for counts by label; a suppressed count (1–4) is drawn as a short hatched stub
    labelled "< 5", so its height gives nothing away."""
    shown = [0 if rules.is_suppressed(c) else c for _, c in points]
    maximum = max([*shown, rules.MIN_CASES])
    slot = (CHART_WIDTH - PLOT_LEFT) / max(len(points), 1)
    bars = []
    for index, (label, count) in enumerate(points):
        suppressed = rules.is_suppressed(count)
        value = rules.MIN_CASES / 2 if suppressed else count
        height = (PLOT_BOTTOM - PLOT_TOP) * value / maximum
        x = PLOT_LEFT + index * slot + slot * 0.15
        bars.append(
            Bar(
                label=label,
                display=rules.display_count(count),
                x=round(x, 1),
                y=round(PLOT_BOTTOM - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                suppressed=suppressed,
                label_x=round(x + slot * 0.35, 1),
            )
        )
    return BarChart(bars=bars, maximum=maximum)


@dataclass(frozen=True)
class MapRegion:
    key: str
    name: str
    path: str
    css_class: str
    display: str
    url: str


@dataclass(frozen=True)
class LegendClass:
    css_class: str
    label: str
    colour: str


def legend() -> list[LegendClass]:
    items = [
        LegendClass(
            css_class=f"verbund-choropleth__c{c.index}",
            label=f"{rules.format_number(c.lower)} bis {rules.format_number(c.upper)} %"
            if c.index
            else f"0 bis {rules.format_number(c.upper)} %",
            colour=c.colour,
        )
        for c in rules.map_classes()
    ]
    items.append(LegendClass("verbund-choropleth__none", "keine Angabe", rules.NO_DATA_COLOUR))
    return items


def css_class_for(value: float | None, cases: int) -> str:
    index = None if cases == 0 else rules.class_of(value)
    return "verbund-choropleth__none" if index is None else f"verbund-choropleth__c{index}"
