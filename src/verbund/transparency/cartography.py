"""The generated map of the Land's Gemeinden and Kreise (decision 0021).

`generate_map` (run by `verbund generate-transparency-map`, needs the `topojson` and `shapely`
packages of the dev group) reads the BKG boundaries from VERBUND_DATA_DIR, simplifies them as
ONE topology — each border between two Gemeinden is one arc, simplified once, so neighbours
keep their shared border and no gaps or overlaps appear — projects them and writes SVG path
data per region into `data/map-<Land>.json`, which the project ships. The pages only read
that file (`load_map`)."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
ATTRIBUTION = "© GeoBasis-DE / BKG 2021 (Daten verändert), dl-de/by-2-0"
SOURCE = "BKG VG5000, Stand 01.01.2021 (thueringen_gemeinden.geojson)"
# Douglas-Peucker tolerance in degrees on the shared arcs (about 200 m): the map is drawn
# about 600 px wide for a Land some 270 km across, so finer detail is not visible.
TOLERANCE = 0.002
WIDTH = 600.0


@dataclass(frozen=True)
class Unit:
    """A current unit of the directory: its key, name and (for a Gemeinde) Kreis key."""

    key: str
    name: str
    kreis_key: str = ""


def map_path(land_key: str) -> Path:
    return DATA_DIR / f"map-{land_key}.json"


@cache
def load_map(land_key: str) -> dict[str, Any]:
    """The shipped map (projected SVG paths per Gemeinde and Kreis), read once per process."""
    path = map_path(land_key)
    if not path.exists():
        return {"view_box": "0 0 1 1", "gemeinden": {}, "kreise": {}, "attribution": ""}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _rings(geometry: dict[str, Any]) -> Iterable[Sequence[Sequence[float]]]:
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


class Projection:
    """Equirectangular, x scaled by cos(mean latitude): true to shape at this size."""

    def __init__(self, bounds: tuple[float, float, float, float], width: float = WIDTH) -> None:
        min_lon, min_lat, max_lon, max_lat = bounds
        self.min_lon, self.max_lat = min_lon, max_lat
        self.kx = math.cos(math.radians((min_lat + max_lat) / 2))
        self.factor = width / ((max_lon - min_lon) * self.kx)
        self.width = width
        self.height = (max_lat - min_lat) * self.factor

    def point(self, lon: float, lat: float) -> tuple[int, int]:
        # tenths of a pixel, as integers, so relative steps add up exactly
        x = (lon - self.min_lon) * self.kx * self.factor
        y = (self.max_lat - lat) * self.factor
        return round(x * 10), round(y * 10)

    def path(self, geometry: dict[str, Any]) -> str:
        parts = []
        for ring in _rings(geometry):
            points = [self.point(lon, lat) for lon, lat, *_ in ring]
            cleaned = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
            if len(cleaned) < 3:
                continue
            x0, y0 = cleaned[0]
            steps = [f"M{x0 / 10:g} {y0 / 10:g}"]
            for (ax, ay), (bx, by) in pairwise(cleaned):
                steps.append(f"l{(bx - ax) / 10:g} {(by - ay) / 10:g}")
            parts.append("".join(steps) + "z")
        return "".join(parts)


def match_features(
    features: list[dict[str, Any]], gemeinden: list[Unit]
) -> dict[str, dict[str, Any]]:
    """Directory key → boundary feature: by AGS, and for a Gemeinde whose key changed since
    the boundaries' date (Eisenach joined the Wartburgkreis in 2021) by its unique name."""
    by_ags = {str(f["properties"].get("AGS", "")): f for f in features}
    matched: dict[str, dict[str, Any]] = {}
    for unit in gemeinden:
        if unit.key in by_ags:
            matched[unit.key] = by_ags[unit.key]
    used = {id(f) for f in matched.values()}
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for feature in features:
        if id(feature) not in used:
            by_name[str(feature["properties"].get("GEN", ""))].append(feature)
    for unit in gemeinden:
        candidates = by_name.get(unit.name, [])
        if unit.key not in matched and len(candidates) == 1:
            matched[unit.key] = candidates[0]
    return matched


def generate_map(
    *, land_key: str, collection: dict[str, Any], gemeinden: list[Unit], kreise: list[Unit]
) -> dict[str, Any]:
    """Simplify, project and key the boundaries; returns what `load_map` reads."""
    import topojson
    from shapely.geometry import mapping, shape
    from shapely.ops import unary_union

    matched = match_features(collection["features"], gemeinden)
    used = {id(f) for f in matched.values()}
    # Gemeinden of the boundaries' date that merged since into a Gemeinde keeping another
    # key: drawn as areas without data (their successor is not in the data), so the Land has
    # no holes, and counted into their Kreis.
    former = {
        str(f["properties"]["AGS"]): f
        for f in collection["features"]
        if id(f) not in used and str(f["properties"].get("AGS", "")).startswith(land_key)
    }
    keys = sorted(matched)
    source = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"key": key}, "geometry": matched[key]["geometry"]}
            for key in keys
        ]
        + [
            {"type": "Feature", "properties": {"key": f"former:{ags}"}, "geometry": f["geometry"]}
            for ags, f in sorted(former.items())
        ],
    }
    topology = topojson.Topology(  # type: ignore[attr-defined]
        source, prequantize=False, topology=True, toposimplify=TOLERANCE, prevent_oversimplify=True
    )
    simplified = {
        f["properties"]["key"]: shape(f["geometry"])
        for f in json.loads(str(topology.to_geojson()))["features"]
    }
    bounds = unary_union(list(simplified.values())).bounds
    projection = Projection(bounds)
    kreis_shapes: dict[str, list[Any]] = defaultdict(list)
    for unit in gemeinden:
        if unit.key in simplified:
            kreis_shapes[unit.kreis_key].append(simplified[unit.key])
    for ags in former:
        kreis_shapes[ags[:5]].append(simplified[f"former:{ags}"])
    return {
        "land": land_key,
        "attribution": ATTRIBUTION,
        "source": SOURCE,
        "tolerance_degrees": TOLERANCE,
        "view_box": f"0 0 {projection.width:.0f} {projection.height:.0f}",
        "gemeinden": {
            unit.key: {"name": unit.name, "d": projection.path(mapping(simplified[unit.key]))}
            for unit in gemeinden
            if unit.key in simplified
        },
        "missing": [unit.key for unit in gemeinden if unit.key not in simplified],
        "former": {
            ags: {
                "name": str(f["properties"].get("GEN", "")),
                "d": projection.path(mapping(simplified[f"former:{ags}"])),
            }
            for ags, f in sorted(former.items())
        },
        "kreise": {
            unit.key: {
                "name": unit.name,
                "d": projection.path(mapping(unary_union(kreis_shapes[unit.key]))),
            }
            for unit in kreise
            if kreis_shapes.get(unit.key)
        },
    }
