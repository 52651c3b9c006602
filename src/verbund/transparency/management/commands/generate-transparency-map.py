"""verbund generate-transparency-map: simplify the BKG boundaries into the shipped map file."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from verbund.gebiete import queries as gebiete_queries
from verbund.transparency import cartography


class Command(BaseCommand):
    help = (
        "Erzeugt aus den BKG-Grenzen (VERBUND_DATA_DIR/geo) die vereinfachte Karte der "
        "Gemeinden und Kreise, die das Transparenz-Dashboard zeigt."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        land = gebiete_queries.get_land(settings.VERBUND_LAND)
        source = settings.VERBUND_DATA_DIR / "geo" / "thueringen_gemeinden.geojson"
        if not source.exists():
            raise CommandError(f"Grenzen fehlen: {source} (verbund fetch-data).")
        kreise = list(gebiete_queries.kreise_of(land).order_by("key"))
        gemeinden = [
            cartography.Unit(g.key, g.display_name, kreis.key)
            for kreis in kreise
            for g in gebiete_queries.gemeinden_of_kreis(kreis)
        ]
        data = cartography.generate_map(
            land_key=land.key,
            collection=json.loads(source.read_text(encoding="utf-8")),
            gemeinden=sorted(gemeinden, key=lambda u: u.key),
            kreise=[cartography.Unit(k.key, k.display_name) for k in kreise],
        )
        target = cartography.map_path(land.key)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n",
            encoding="utf-8",
        )
        missing = ", ".join(data["missing"]) or "–"
        self.stdout.write(
            f"{target.name}: {len(data['gemeinden'])} Gemeinden, {len(data['kreise'])} Kreise, "
            f"{target.stat().st_size // 1024} KiB; ohne Grenze: {missing}."
        )
