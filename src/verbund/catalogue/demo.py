"""Demo data of the catalogue: the LeiKa base catalogue and the OZG structure (from the
official files in VERBUND_DATA_DIR when present, else from the fixture shipped with
Verbund), then the curated starter catalogue with its life situations, then the index."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from verbund.catalogue import actions
from verbund.catalogue.fixture import FIXTURE, read_fixture
from verbund.catalogue.leika import (
    parse_lebenslagen,
    parse_leistungen,
    parse_ozg_leistungen,
    parse_zuordnung,
)

ACTOR = "load-demo"
APP_DIR = Path(__file__).resolve().parent
STARTER = APP_DIR / "starter.toml"
LEBENSLAGEN = APP_DIR / "lebenslagen.toml"
OZG_FILES = ("ozg_lebenslagen.csv", "ozg_leistungen.csv", "leika_ozg_zuordnung.csv")


def starter_services() -> list[dict[str, Any]]:
    with STARTER.open("rb") as fh:
        return list(tomllib.load(fh)["service"])


def starter_lebenslagen() -> list[dict[str, Any]]:
    with LEBENSLAGEN.open("rb") as fh:
        return list(tomllib.load(fh)["lebenslage"])


def official_files(data_dir: Path) -> Path | None:
    folder = data_dir / "leika"
    if all((folder / name).exists() for name in ("leistungen.csv", *OZG_FILES)):
        return folder
    return None


def import_ozg_folder(folder: Path, *, actor: str, reindex: bool = True) -> actions.OzgReport:
    lebenslagen, leistungen, zuordnung = (folder / name for name in OZG_FILES)
    with (
        lebenslagen.open(encoding="utf-8", newline="") as a,
        leistungen.open(encoding="utf-8", newline="") as b,
        zuordnung.open(encoding="utf-8", newline="") as c,
    ):
        return actions.import_ozg(
            lebenslagen=parse_lebenslagen(a),
            leistungen=parse_ozg_leistungen(b),
            zuordnung=parse_zuordnung(c),
            actor=actor,
            reindex=reindex,
        )


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    folder = official_files(Path(settings.VERBUND_DATA_DIR))
    if folder is not None:
        with (folder / "leistungen.csv").open(encoding="utf-8", newline="") as fh:
            leika = actions.import_leika(rows=parse_leistungen(fh), actor=ACTOR, reindex=False)
        ozg = import_ozg_folder(folder, actor=ACTOR, reindex=False)
        source = "leika/*.csv"
    else:
        rows, lebenslagen, leistungen, zuordnung = read_fixture(FIXTURE)
        leika = actions.import_leika(rows=rows, actor=ACTOR, reindex=False)
        ozg = actions.import_ozg(
            lebenslagen=lebenslagen,
            leistungen=leistungen,
            zuordnung=zuordnung,
            actor=ACTOR,
            reindex=False,
        )
        source = FIXTURE.name
    out(
        f"LeiKa ({source}): {leika.keys} Leistungsschlüssel aus {leika.rows} Zeilen, "
        f"{leika.outdated} durch neuere Schlüssel ersetzt. OZG: {ozg.themenfelder} "
        f"Themenfelder, {ozg.lebenslagen} Lebenslagen, {ozg.ozg_leistungen} OZG-Leistungen, "
        f"{ozg.mapped} Zuordnungen."
    )
    starter = actions.load_starter_catalogue(
        services=starter_services(), lebenslagen=starter_lebenslagen(), actor=ACTOR, reindex=False
    )
    counts = actions.rebuild_search_index(actor=ACTOR)
    out(
        f"{starter.services} redaktionell gepflegte Leistungen, {starter.lebenslagen} "
        f"Lebenslagen. Suchindex: {counts['services']} Leistungen, {counts['terms']} Begriffe."
    )
