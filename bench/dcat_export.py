"""Benchmark: the streamed DCAT-AP.de export of a large generated catalogue against rdflib's
own serialisation of the same graph, and CKAN `package_search` latency over it.

Usage: python bench/dcat_export.py [--database-url URL] [--datasets 50000] [--format ttl]

Generates N published datasets (two distributions each) for the demo authorities in a fresh
database (SQLite by default; PostgreSQL with --database-url). The export is
`opendata.dcat.stream` as `/daten/katalog.ttl` serves it, consumed piece by piece; the
baseline builds the same triples into one rdflib graph and serialises it at once. Time is
measured without tracing, peak memory in a second run with tracemalloc.
Goals (issue 16): export at least as fast as the baseline, a tenth of its memory;
package_search p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from search_quality import fresh_postgres_database  # noqa: E402

WORDS = [
    "Haushalt",
    "Kita",
    "Schule",
    "Verkehr",
    "Radweg",
    "Wahl",
    "Baum",
    "Wasser",
    "Abfall",
    "Bevölkerung",
    "Bebauungsplan",
    "Parkplatz",
    "Spielplatz",
    "Friedhof",
    "Sport",
]


def setup_database(database_url: str | None) -> None:
    """A fresh database with the Land's areas and the demo authorities only (the other
    domains' demo data play no part here)."""
    state = tempfile.mkdtemp(prefix="verbund-bench-")
    os.environ["VERBUND_STATE_DIR"] = state
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{state}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "verbund.settings.base"
    # The generated catalogue alone: without the real catalogue the demo harvests
    os.environ.setdefault("VERBUND_DEMO_CATALOGUE", "")
    if database_url and database_url.startswith("postgres"):
        fresh_postgres_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    from verbund.authorities import demo as authorities_demo
    from verbund.gebiete import demo as gebiete_demo

    call_command("setup", verbosity=0)  # keys and database, as `make setup`
    gebiete_demo.load(out=lambda line: None)
    authorities_demo.load(out=lambda line: None)


def generate(count: int) -> None:
    from django.utils import timezone

    from verbund.authorities.models import Authority
    from verbund.opendata import rules
    from verbund.opendata.models import Dataset, DatasetStatus, Distribution

    rng = random.Random(16)
    authorities = list(Authority.objects.order_by("pk")[:200])
    themes = list(rules.THEMES)
    licences = list(rules.LICENCES)
    now = timezone.now()
    for start in range(0, count, 2000):
        datasets = []
        for i in range(start, min(count, start + 2000)):
            words = rng.sample(WORDS, 3)
            dataset = Dataset(
                id=uuid.uuid4(),
                authority=authorities[i % len(authorities)],
                gebiet=authorities[i % len(authorities)].gebiet,
                name=f"datensatz-{i}",
                status=DatasetStatus.PUBLISHED,
                title=f"{words[0]} und {words[1]} {i}",
                description=f"Daten zu {', '.join(words)} (generiert, Nummer {i}).",
                keywords=words,
                themes=rng.sample(themes, 2),
                licence=rng.choice(licences),
                contact_name="Bürgerbüro",
                contact_email="daten@example.org",
                accrual_periodicity="ANNUAL",
                temporal_start=datetime.date(2020, 1, 1),
                issued=now,
                modified=now,
            )
            dataset.search_text = f"{dataset.title} {dataset.description} {' '.join(words)}".lower()
            dataset.keyword_index = "".join(f"|{k.lower()}" for k in words) + "|"
            dataset.theme_index = "".join(f"|{t}" for t in dataset.themes) + "|"
            datasets.append(dataset)
        Dataset.objects.bulk_create(datasets)
        Distribution.objects.bulk_create(
            Distribution(
                dataset=d,
                title=fmt,
                access_url=f"https://daten.example.org/{d.name}.{fmt.lower()}",
                format=fmt,
                media_type=rules.FORMATS[fmt],
                byte_size=rng.randrange(1000, 10**7),
                checksum=uuid.uuid4().hex * 2,
                position=n,
            )
            for d in datasets
            for n, fmt in enumerate(rng.sample(["CSV", "JSON", "XLSX", "PDF"], 2))
        )


def streamed(ext: str) -> int:
    from verbund.opendata import dcat, queries

    urls = dcat.Urls("https://verbund.example")
    head = dcat.catalog_graph(urls, title="Katalog", description="Bench", publisher_name="V")
    size = 0
    for piece in dcat.stream(head, queries.published_datasets().iterator(chunk_size=50), urls, ext):
        size += len(piece.encode())
    return size


def baseline(ext: str) -> int:
    from rdflib.namespace import DCAT

    from verbund.opendata import dcat, queries

    urls = dcat.Urls("https://verbund.example")
    graph = dcat.catalog_graph(urls, title="Katalog", description="Bench", publisher_name="V")
    for dataset in queries.published_datasets().iterator(chunk_size=50):
        graph.add((urls.catalog(), DCAT.dataset, dcat.add_dataset(graph, dataset, urls)))
    fmt = dcat.FORMATS[ext].rdflib_name
    return len(graph.serialize(format=fmt).encode())


def measure(run: Callable[[str], int], ext: str) -> tuple[float, float, int]:
    start = time.perf_counter()
    size = run(ext)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    run(ext)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, size


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def search_latency() -> list[float]:
    from verbund.opendata import ckan, dcat

    urls = dcat.Urls("https://verbund.example")
    params: list[dict[str, object]] = []
    for word in WORDS:
        params.append({"q": word.lower(), "rows": 10})
        params.append({"fq": f"tags:{word.lower()}", "rows": 10, "sort": "metadata_modified desc"})
    params.append(
        {
            "q": "",
            "rows": 10,
            "start": 1000,
            "facet.field": '["organization","groups","res_format","license_id"]',
        }
    )
    params.append(
        {"fq": "groups:econ res_format:CSV", "rows": 20, "facet.field": '["groups","license_id"]'}
    )
    timings = []
    for _round in range(3):
        for p in params:
            start = time.perf_counter()
            ckan.package_search(dict(p), urls)
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--datasets", type=int, default=50000)
    parser.add_argument("--format", default="ttl", choices=["ttl", "rdf", "jsonld"])
    args = parser.parse_args()
    setup_database(args.database_url)
    from django.db import connection

    from verbund.opendata.models import Dataset

    Dataset.objects.all().delete()
    generate(args.datasets)
    print(
        f"dcat export: {args.datasets} datasets, format {args.format}, database {connection.vendor}"
    )
    results = {}
    for label, run in (("rdflib whole graph", baseline), ("streamed          ", streamed)):
        seconds, peak_mb, size = measure(run, args.format)
        results[label.strip()] = (seconds, peak_mb)
        print(f"{label}  {seconds:8.1f} s  peak {peak_mb:8.1f} MiB  {size / 2**20:8.1f} MiB out")
    base_s, base_mb = results["rdflib whole graph"]
    stream_s, stream_mb = results["streamed"]
    print(
        f"ratio streamed/baseline: time {stream_s / base_s:.2f}, memory {stream_mb / base_mb:.3f}"
    )
    timings = search_latency()
    print(
        f"package_search: {len(timings)} calls  p50 {statistics.median(timings):7.2f} ms  "
        f"p95 {percentile(timings, 0.95):7.2f} ms  max {max(timings):7.2f} ms (goal p95 <= 50 ms)"
    )


if __name__ == "__main__":
    main()
