"""Benchmark: import all of Germany from GV100AD, against a plain csv-parse baseline.

Usage: python bench/import_gebiete.py [--database-url URL] [--file GV100AD.txt]

The baseline reads and tokenises the same file with the csv module (no validation, no
database). The import runs into a fresh database: first import, then an idempotent re-import.
Goal (issue 2): the first import of all of Germany within 10 s.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def fresh_postgres_database(url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database so every run starts empty."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--file", type=Path, default=None)
    args = parser.parse_args()
    state = tempfile.mkdtemp(prefix="verbund-bench-")
    os.environ["VERBUND_STATE_DIR"] = state
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{state}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "verbund.settings.base"
    if args.database_url and args.database_url.startswith("postgres"):
        fresh_postgres_database(args.database_url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from verbund.gebiete.actions import import_gebiete
    from verbund.gebiete.gv100ad import parse_gv100ad
    from verbund.gebiete.models import Gebiet

    path = args.file or Path(settings.VERBUND_DATA_DIR) / "gebiete" / "GV100AD_301123.txt"
    call_command("setup", verbosity=0)  # keys and database, as `make setup`
    if Gebiet.objects.exists():
        sys.exit("the benchmark needs an empty database")

    def baseline() -> int:
        with path.open(encoding="utf-8", newline="") as fh:
            return sum(1 for _ in csv.reader(fh, delimiter="\t"))

    def timed(fn):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result

    baseline()  # warm the page cache
    base_s, lines = min(timed(baseline) for _ in range(5))

    def parse_only() -> int:
        with path.open(encoding="utf-8") as fh:
            return sum(1 for _ in parse_gv100ad(fh))

    parse_s, records = timed(parse_only)

    def run_import():  # type: ignore[no-untyped-def]
        with path.open(encoding="utf-8") as fh:
            return import_gebiete(records=parse_gv100ad(fh), actor="bench")

    first_s, report = timed(run_import)
    again_s, again = timed(run_import)
    vendor = django.db.connection.vendor
    print(f"GV100AD {path.name}: {lines} lines, {records} records kept, database {vendor}")
    print(f"baseline csv parse     {base_s * 1000:8.1f} ms")
    print(f"GV100AD parse only     {parse_s * 1000:8.1f} ms   ratio {parse_s / base_s:6.1f}x")
    print(
        f"first import (Germany) {first_s * 1000:8.1f} ms   ratio {first_s / base_s:6.1f}x"
        f"   created {report.created}"
    )
    print(
        f"re-import (unchanged)  {again_s * 1000:8.1f} ms   ratio {again_s / base_s:6.1f}x"
        f"   unchanged {again.unchanged}"
    )
    verdict = "meets" if first_s <= 10 else "MISSES"
    print(f"goal: first import <= 10 s -> {verdict} ({first_s:.2f} s)")


if __name__ == "__main__":
    main()
