"""Boundaries as inline SVG, so a Gemeinde page shows its outline without JavaScript or tiles."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SvgShape:
    view_box: str
    path: str


def _rings(geometry: dict[str, Any]) -> Iterator[list[list[float]]]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    if kind == "Polygon":
        yield from coordinates
    elif kind == "MultiPolygon":
        for polygon in coordinates:
            yield from polygon


def svg_shape(geojson: str, *, width: float = 400.0) -> SvgShape | None:
    """Project WGS84 rings with an equirectangular projection scaled by cos(latitude)."""
    if not geojson:
        return None
    rings = list(_rings(json.loads(geojson)))
    points = [pt for ring in rings for pt in ring]
    if not points:
        return None
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    scale_x = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = (max(lons) - min(lons)) * scale_x or 1e-9
    span_y = (max(lats) - min(lats)) or 1e-9
    factor = width / max(span_x, span_y)
    parts = []
    for ring in rings:
        coords = [
            f"{(lon - min(lons)) * scale_x * factor:.1f},{(max(lats) - lat) * factor:.1f}"
            for lon, lat, *_ in ring
        ]
        parts.append("M" + " L".join(coords) + " Z")
    return SvgShape(
        view_box=f"-2 -2 {span_x * factor + 4:.1f} {span_y * factor + 4:.1f}",
        path=" ".join(parts),
    )
