"""Benchmark: search latency over the full catalogue, against a primary-key lookup.

Usage: python bench/search_latency.py [--database-url URL] [--rounds N]
       [--embeddings STATE_DIR/search-embeddings.bin]

Loads the demo data (about 4,900 LeiKa services, the OZG structure and the 91 curated
services) into a fresh database (SQLite by default; PostgreSQL with --database-url) and
times `catalogue.queries.search_services(q, limit=10)`, the function behind the API and the
results page, for every query of both dev sets and the repository's own query set, several
rounds each (later rounds find the queries' embeddings in the process's cache). The
baseline, measured in the same run and the same process, is the cheapest read the same
stack can do: fetching one service by primary key through the ORM. Also
printed: the query's embedding alone (the model, uncached, on the cores the search would
take: `semantic.idle_cores`), which the search waits for, and the machine's load average.
Goal (issue 3): search p95 <= 20 ms.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from search_quality import setup_database  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--embeddings",
        type=Path,
        help="an earlier run's search-embeddings.bin, to skip embedding the catalogue anew",
    )
    args = parser.parse_args()
    setup_database(args.database_url, args.embeddings)

    from django.conf import settings
    from django.db import connection

    from verbund.catalogue import queries, semantic
    from verbund.catalogue.models import Service

    if connection.vendor == "postgresql":
        # the statistics autovacuum gathers soon after a load (this machine's server runs
        # with autovacuum off), as in bench/dcat_export.py
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    texts: list[str] = []
    for path in (
        Path(settings.VERBUND_DATA_DIR).parent / "eval" / "search-dev.csv",
        # the long tail, other languages and whole questions: the queries that need the
        # semantic side (issue 15)
        Path(settings.VERBUND_DATA_DIR).parent / "eval" / "search-dev-2.csv",
        ROOT / "bench" / "search-holdout.csv",
    ):
        if path.exists():
            with path.open(encoding="utf-8", newline="") as fh:
                texts += [row["query"] for row in csv.DictReader(fh)]
    pks = list(Service.objects.values_list("pk", flat=True))
    queries.search_services("warm up", limit=10)  # load the vocabulary once per process

    search_ms: list[float] = []
    # the first round embeds every query; later rounds find them in the query cache
    first_round_ms: list[float] = []
    lookup_ms: list[float] = []
    for round_ in range(args.rounds):
        for i, text in enumerate(texts):
            pk = pks[(i * 7919 + round_) % len(pks)]
            start = time.perf_counter()
            Service.objects.get(pk=pk)
            lookup_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            queries.search_services(text, limit=10)
            search_ms.append((time.perf_counter() - start) * 1000)
            if round_ == 0:
                first_round_ms.append(search_ms[-1])

    embedding_ms: list[float] = []
    for text in texts:
        start = time.perf_counter()
        with semantic.idle_cores():  # as the search runs it
            semantic.model().query(text)
        embedding_ms.append((time.perf_counter() - start) * 1000)

    services = len(pks)
    print(
        f"search latency: {len(texts)} queries x {args.rounds} rounds, {services} services, "
        f"database {connection.vendor}"
    )
    print("load average (1/5/15 min): " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    for label, values in (
        ("baseline pk lookup", lookup_ms),
        ("search (limit 10) ", search_ms),
        ("  first round     ", first_round_ms),
        ("query embedding   ", embedding_ms),
    ):
        print(
            f"{label}  p50 {statistics.median(values):7.2f} ms"
            f"  p95 {percentile(values, 0.95):7.2f} ms"
            f"  p99 {percentile(values, 0.99):7.2f} ms  max {max(values):7.2f} ms"
        )
    p95 = percentile(search_ms, 0.95)
    ratio = p95 / percentile(lookup_ms, 0.95)
    print(f"search p95 / pk-lookup p95 = {ratio:.1f}x")
    verdict = "meets" if p95 <= 20 else "MISSES"
    print(f"goal: search p95 <= 20 ms -> {verdict} ({p95:.2f} ms)")


if __name__ == "__main__":
    main()
