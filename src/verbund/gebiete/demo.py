"""Demo data of the territorial directory: the configured Land from the official files in
VERBUND_DATA_DIR when present, else from the fixture shipped with Verbund."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from verbund.gebiete import actions
from verbund.gebiete.fixture import fixture_path, read_fixture
from verbund.gebiete.gv100ad import parse_gv100ad
from verbund.gebiete.plz import parse_plz_csv

ACTOR = "load-demo"


def newest_gv100ad(data_dir: Path) -> Path | None:
    # File names carry the Gebietsstand as DDMMYY; the newest sorts last by YYMMDD.
    files = sorted(
        (data_dir / "gebiete").glob("GV100AD_*.txt"),
        key=lambda p: (p.stem[-2:], p.stem[-4:-2], p.stem[-6:-4]),
    )
    return files[-1] if files else None


def load(*, out: Callable[[str], None]) -> None:
    land = settings.VERBUND_LAND
    data_dir = Path(settings.VERBUND_DATA_DIR)
    gv100ad = newest_gv100ad(data_dir)
    plz_file = data_dir / "gebiete" / "zuordnung_plz_ort.csv"
    if gv100ad is not None and plz_file.exists():
        with gv100ad.open(encoding="utf-8") as fh:
            report = actions.import_gebiete(records=parse_gv100ad(fh, land=land), actor=ACTOR)
        with plz_file.open(encoding="utf-8", newline="") as fh:
            plz_report = actions.import_plz(rows=parse_plz_csv(fh), actor=ACTOR)
        source = str(gv100ad.name)
    else:
        path = fixture_path(land)
        if not path.exists():
            raise FileNotFoundError(
                f"Neither {data_dir}/gebiete nor the fixture {path.name} is available for "
                f"Land {land}."
            )
        records, plz_rows = read_fixture(path)
        report = actions.import_gebiete(records=records, actor=ACTOR)
        plz_report = actions.import_plz(rows=plz_rows, actor=ACTOR)
        source = path.name
    out(
        f"Gebiete ({source}, Stand {report.gebietsstand:%d.%m.%Y}): "
        f"{report.counts.get('gemeinde', 0)} Gemeinden, {report.counts.get('verband', 0)} "
        f"Gemeindeverbände, {report.counts.get('kreis', 0)} Kreise; "
        f"{report.created} neu, {report.updated} geändert. PLZ: {plz_report.pairs} Zuordnungen."
    )
    for geo in sorted((data_dir / "geo").glob("*.geojson")):
        with geo.open(encoding="utf-8") as fh:
            boundaries = actions.import_boundaries(
                collection=json.load(fh), actor=ACTOR, source=geo.name
            )
        out(
            f"Grenzen {geo.name}: {boundaries.matched} zugeordnet, "
            f"{len(boundaries.unmatched)} ohne Gegenstück (Stand der Grenzen 2021)."
        )
