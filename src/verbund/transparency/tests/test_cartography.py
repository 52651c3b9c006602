"""The shipped map: generated from the BKG boundaries, neighbours keep their shared border."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command

from verbund.transparency import cartography


def vertices(path: str) -> set[tuple[int, int]]:
    """Absolute vertices (in tenths of a pixel) of a path of M/l/z commands."""
    points: set[tuple[int, int]] = set()
    x = y = 0
    for command, a, b in re.findall(r"([Ml])(-?[\d.]+) (-?[\d.]+)", path):
        dx, dy = round(float(a) * 10), round(float(b) * 10)
        x, y = (dx, dy) if command == "M" else (x + dx, y + dy)
        points.add((x, y))
    return points


def test_neighbours_share_their_border_vertices():
    data = cartography.load_map("16")
    erfurt = vertices(data["gemeinden"]["16051000"]["d"])
    neighbours = [
        key
        for key, shape in data["gemeinden"].items()
        if key != "16051000" and len(erfurt & vertices(shape["d"])) >= 3
    ]
    # Erfurt borders more than ten Gemeinden; each shared border is one simplified arc
    assert len(neighbours) >= 10
    assert "GeoBasis-DE / BKG" in data["attribution"]


def test_kreis_outline_is_made_of_its_gemeinden_borders():
    data = cartography.load_map("16")
    members = set().union(
        *(vertices(s["d"]) for k, s in data["gemeinden"].items() if k.startswith("16061"))
    )
    outline = vertices(data["kreise"]["16061"]["d"])
    assert len(outline & members) / len(outline) > 0.95


@pytest.mark.django_db
def test_the_shipped_map_is_what_the_generator_writes(shared_data, tmp_path, monkeypatch):
    shipped = cartography.map_path("16").read_text(encoding="utf-8")
    monkeypatch.setattr(cartography, "DATA_DIR", tmp_path)
    call_command("generate-transparency-map", stdout=io.StringIO())
    fresh = (tmp_path / "map-16.json").read_text(encoding="utf-8")
    assert json.loads(fresh)["missing"] == []
    assert fresh == shipped
