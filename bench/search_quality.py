"""Benchmark: search quality on citizen queries (top-1 and top-5 accuracy).

Usage: python bench/search_quality.py [--database-url URL] [--queries FILE] [--verbose]

Loads the demo data (LeiKa base catalogue, OZG structure, curated starter catalogue) into a
fresh database (SQLite by default; PostgreSQL with --database-url postgres://…) and runs
every query of the CSV (`query,expected`; default ../shared/eval/search-dev.csv) through the
same search the API uses. The baseline, measured in the same run, is plain substring
matching of the query against the service names: what a search without the mechanism of
Verbund (normalisation, compounds, synonyms, life situations, typos) would find.
Goal (issue 3): top-1 >= 90 %, top-5 >= 98 %.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def fresh_postgres_database(url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database so every run starts empty."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_database(database_url: str | None) -> None:
    state = tempfile.mkdtemp(prefix="verbund-bench-")
    os.environ["VERBUND_STATE_DIR"] = state
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{state}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "verbund.settings.base"
    if database_url and database_url.startswith("postgres"):
        fresh_postgres_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load-demo", stdout=io.StringIO())


def baseline_rank(query: str, names: list[tuple[str, str]]) -> list[str]:
    """Case-insensitive substring search over service names, shorter names first."""
    needle = query.strip().lower()
    found = [(len(name), slug) for slug, name in names if needle and needle in name.lower()]
    return [slug for _, slug in sorted(found)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--queries", type=Path, default=None)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    setup_database(args.database_url)

    from django.conf import settings
    from django.db import connection

    from verbund.catalogue import queries
    from verbund.catalogue.models import Service

    path = args.queries or Path(settings.VERBUND_DATA_DIR).parent / "eval" / "search-dev.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        cases = [(row["query"], row["expected"]) for row in csv.DictReader(fh)]
    names = list(Service.objects.values_list("slug", "name"))

    top1 = top5 = base1 = base5 = 0
    misses = []
    for query, expected in cases:
        slugs = [result.service.slug for result in queries.search_services(query, limit=5)]
        base = baseline_rank(query, names)[:5]
        top1 += bool(slugs) and slugs[0] == expected
        top5 += expected in slugs
        base1 += bool(base) and base[0] == expected
        base5 += expected in base
        if not slugs or slugs[0] != expected:
            misses.append((query, expected, slugs))
    n = len(cases)
    vendor = connection.vendor
    print(f"search quality on {path.name}: {n} queries, {len(names)} services, database {vendor}")
    print(f"baseline (substring in name) top-1 {base1 / n:6.1%}  top-5 {base5 / n:6.1%}")
    print(
        f"verbund search               top-1 {top1 / n:6.1%}  top-5 {top5 / n:6.1%}"
        f"   ({top1}/{n}, {top5}/{n})"
    )
    verdict = "meets" if top1 / n >= 0.90 and top5 / n >= 0.98 else "MISSES"
    print(f"goal: top-1 >= 90 %, top-5 >= 98 % -> {verdict}")
    if args.verbose:
        for query, expected, slugs in misses:
            print(f"  miss: {query!r}: expected {expected}, got {slugs}")


if __name__ == "__main__":
    main()
