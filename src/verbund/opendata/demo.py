"""Demo open data: a handful of published datasets of several demo authorities, each with a
CSV file in the platform's storage and, for some, a link, idempotent by the datasets' names;
and, when VERBUND_DATA_DIR has the real catalogue dumps, one of them harvested (by default
the smallest, Destatis), idempotent as every harvest is."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from verbund.authorities.queries import all_authorities
from verbund.opendata import actions
from verbund.opendata.harvest import harvest, source_for
from verbund.opendata.models import Dataset

ACTOR = "load-demo"
CATALOGUE_PUBLISHER = "Thüringer Landesverwaltungsamt"

DEMO_DATASETS: list[dict[str, Any]] = [
    {
        "authority": "Stadtverwaltung Erfurt",
        "name": "erfurt-kindertageseinrichtungen",
        "title": "Kindertageseinrichtungen in Erfurt",
        "description": "Name, Träger, Anschrift und Zahl der Plätze aller Kindertageseinrichtungen "
        "der Landeshauptstadt Erfurt (Demodaten).",
        "keywords": ["Kita", "Kinderbetreuung", "Bildung"],
        "themes": ["EDUC", "SOCI"],
        "licence": "dl-by-de/2.0",
        "accrual_periodicity": "ANNUAL",
        "temporal_start": datetime.date(2025, 1, 1),
        "csv": "name;traeger;plaetze\nKita Sonnenschein;Stadt Erfurt;85\nKita Regenbogen;AWO;60\n",
    },
    {
        "authority": "Stadtverwaltung Erfurt",
        "name": "erfurt-haushaltsplan-2026",
        "title": "Haushaltsplan 2026 der Stadt Erfurt",
        "description": "Erträge und Aufwendungen des Ergebnishaushalts nach Produktbereichen "
        "(Demodaten).",
        "keywords": ["Haushalt", "Finanzen"],
        "themes": ["ECON", "GOVE"],
        "licence": "dl-zero-de/2.0",
        "accrual_periodicity": "ANNUAL",
        "temporal_start": datetime.date(2026, 1, 1),
        "temporal_end": datetime.date(2026, 12, 31),
        "csv": "produktbereich;ertraege;aufwendungen\n11;1200000;3400000\n21;800000;9100000\n",
        "link": "https://www.erfurt.de/ef/de/rathaus/haushalt/",
    },
    {
        "authority": "Verwaltungsgemeinschaft Hanstein-Rusteberg",
        "name": "hanstein-rusteberg-wahllokale",
        "title": "Wahllokale der VG Hanstein-Rusteberg",
        "description": "Wahlbezirke und Wahllokale der Mitgliedsgemeinden (Demodaten).",
        "keywords": ["Wahlen", "Wahllokal"],
        "themes": ["GOVE"],
        "licence": "cc-by/4.0",
        "accrual_periodicity": "IRREG",
        "csv": "gemeinde;wahlbezirk;wahllokal\nArenshausen;1;Gemeindehaus\nBornhagen;1;Schule\n",
    },
    {
        "authority": "Landratsamt Eichsfeld",
        "name": "eichsfeld-badegewaesser",
        "title": "Badegewässer im Landkreis Eichsfeld",
        "description": "Badestellen mit Lage und letzter Wasserqualitätsmessung (Demodaten).",
        "keywords": ["Baden", "Wasserqualität", "Umwelt"],
        "themes": ["ENVI", "HEAL"],
        "licence": "dl-by-de/2.0",
        "accrual_periodicity": "MONTHLY",
        "csv": "badestelle;qualitaet\nSeeburger See;ausgezeichnet\nStausee Birkungen;gut\n",
    },
    {
        "authority": "Thüringer Landesverwaltungsamt",
        "name": "tlvwa-kommunalaufsicht-gemeinden",
        "title": "Gemeinden und Verwaltungsgemeinschaften in Thüringen",
        "description": "Verzeichnis der Gemeinden, Verwaltungsgemeinschaften und erfüllenden "
        "Gemeinden mit Regionalschlüssel (Demodaten).",
        "keywords": ["Gemeinden", "Gebietsstand"],
        "themes": ["REGI", "GOVE"],
        "licence": "dl-zero-de/2.0",
        "accrual_periodicity": "QUARTERLY",
        "csv": "ars;name\n160510000000;Erfurt\n160615008000;Hanstein-Rusteberg\n",
    },
]


def load(*, out: Callable[[str], None]) -> None:
    publish_demo_datasets(out=out)
    harvest_real_catalogue(out=out)


def harvest_real_catalogue(*, out: Callable[[str], None]) -> None:
    """Harvest the catalogue VERBUND_DEMO_CATALOGUE names, when the data directory has it."""
    name = settings.VERBUND_DEMO_CATALOGUE
    path = Path(settings.VERBUND_DATA_DIR) / "dcat" / "catalogues" / f"{name}.rdf"
    authority = all_authorities().filter(name=CATALOGUE_PUBLISHER).order_by("pk").first()
    if not name or not path.is_file() or authority is None:
        return
    source = source_for(
        url=str(path),
        authority=authority,
        name=f"demo-{name}",
        title=f"Beispielkatalog {path.name} (Demo: aus VERBUND_DATA_DIR vollständig geerntet)",
    )
    outcome = harvest(source=source, actor=ACTOR)
    out(
        f"Katalog {path.name} geerntet: {outcome.datasets} Datensätze mit "
        f"{outcome.distributions} Distributionen ({outcome.run.created} neu)."
    )


def publish_demo_datasets(*, out: Callable[[str], None]) -> None:
    created = 0
    for spec in DEMO_DATASETS:
        spec = dict(spec)
        authority = all_authorities().filter(name=spec.pop("authority")).order_by("pk").first()
        if authority is None or Dataset.objects.filter(name=spec["name"]).exists():
            continue
        csv, link = spec.pop("csv"), spec.pop("link", "")
        with transaction.atomic():
            dataset = actions.create_dataset(
                authority=authority,
                gebiet=authority.gebiet,
                contact_name=authority.name,
                contact_email=authority.email,
                actor=ACTOR,
                **spec,
            )
            actions.add_file_distribution(
                dataset=dataset,
                upload=actions.UploadedFile(f"{dataset.name}.csv", csv.encode()),
                format="CSV",
                title="CSV",
                actor=ACTOR,
            )
            if link:
                actions.add_url_distribution(
                    dataset=dataset, access_url=link, format="HTML", title="Webseite", actor=ACTOR
                )
            actions.publish_dataset(dataset=dataset, actor=ACTOR)
        created += 1
    out(f"{created} offene Datensätze veröffentlicht ({Dataset.objects.count()} insgesamt).")
