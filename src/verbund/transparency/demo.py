"""Demo: count the transparency figures of the demo Land and publish them as open data, so
the dashboard and the catalogue have content after `verbund load-demo`."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from verbund.gebiete import queries as gebiete_queries
from verbund.transparency import actions


def load(*, out: Callable[[str], None]) -> None:
    land = gebiete_queries.get_land(settings.VERBUND_LAND)
    run = actions.aggregate_figures(land=land, actor="load-demo")
    datasets = actions.publish_figures(actor="load-demo")
    out(
        f"{run.figures} Kennzahlen berechnet, {len(datasets)} Kennzahlen-Datensätze veröffentlicht."
    )
