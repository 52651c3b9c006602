"""Benchmark: the streamed DCAT-AP.de export of a large generated catalogue against rdflib's
own serialisation of the same graph, and CKAN `package_search` latency over it.

Usage: python bench/dcat_export.py [--database-url URL] [--datasets 50000] [--format ttl]
       [--runs 2] [--state-dir DIR --reuse]

Generates N published datasets (two distributions each) for the demo authorities in a fresh
database (SQLite by default; PostgreSQL with --database-url), with bulk_create and the
search columns `Dataset.save` would fill. The export is `opendata.dcat.stream` as
`/daten/katalog.ttl` serves it, consumed piece by piece; the baseline builds the same triples
into one rdflib graph and serialises it at once. Each side runs in a child process of its
own (this script with --side), which measures its time and its peak resident memory
(VmHWM, reset right before the work, minus the resident memory at that moment), so neither
tracing nor the other side distorts the figure; the child's resident memory before the work
(interpreter, Django, rdflib) is reported separately.
Goals (issue 16): export at least as fast as the baseline, a tenth of its memory;
package_search p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import IO, Any, cast

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


def setup_database(database_url: str | None, state_dir: str | None, reuse: bool) -> None:
    """A fresh database with the Land's areas and the demo authorities only (the other
    domains' demo data play no part here); with `reuse`, the database of an earlier run in
    the same state directory (or at the same PostgreSQL URL) is kept and only migrated."""
    state = state_dir or tempfile.mkdtemp(prefix="verbund-bench-")
    Path(state).mkdir(parents=True, exist_ok=True)
    os.environ["VERBUND_STATE_DIR"] = state
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{state}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "verbund.settings.base"
    # The generated catalogue alone: without the real catalogue the demo harvests
    os.environ.setdefault("VERBUND_DEMO_CATALOGUE", "")
    if database_url and database_url.startswith("postgres"):
        if not reuse:
            fresh_postgres_database(database_url)
        else:
            ensure_postgres_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    from verbund.authorities import demo as authorities_demo
    from verbund.gebiete import demo as gebiete_demo

    call_command("setup", verbosity=0)  # keys and database, as `make setup`
    if reuse and generated_count() > 0:
        return
    gebiete_demo.load(out=lambda line: None)
    authorities_demo.load(out=lambda line: None)


def ensure_postgres_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def generated_count() -> int:
    from verbund.opendata.models import Dataset

    return Dataset.objects.filter(name__startswith="datensatz-").count()


def generate(count: int) -> None:
    from django.utils import timezone

    from verbund.authorities.models import Authority
    from verbund.opendata import rules
    from verbund.opendata.models import Dataset, DatasetStatus, Distribution

    rng = random.Random(16)
    authorities = list(Authority.objects.select_related("gebiet").order_by("pk")[:200])
    themes = list(rules.THEMES)
    licences = list(rules.LICENCES)
    now = timezone.now()
    for start in range(0, count, 2000):
        datasets: list[Dataset] = []
        distributions: list[Distribution] = []
        for i in range(start, min(count, start + 2000)):
            words = rng.sample(WORDS, 3)
            authority = authorities[i % len(authorities)]
            dataset = Dataset(
                id=uuid.uuid4(),
                authority=authority,
                gebiet=authority.gebiet,
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
            formats = rng.sample(["CSV", "JSON", "XLSX", "PDF"], 2)
            # What Dataset.save and the distribution actions fill; bulk_create skips both
            dataset.fill_search_columns()
            dataset.index_formats(formats)
            datasets.append(dataset)
            distributions.extend(
                Distribution(
                    dataset=dataset,
                    title=fmt,
                    access_url=f"https://daten.example.org/{dataset.name}.{fmt.lower()}",
                    format=fmt,
                    media_type=rules.FORMATS[fmt],
                    byte_size=rng.randrange(1000, 10**7),
                    checksum=uuid.uuid4().hex * 2,
                    position=n,
                )
                for n, fmt in enumerate(formats)
            )
        Dataset.objects.bulk_create(datasets)
        Distribution.objects.bulk_create(distributions)


class ByteCounter(io.RawIOBase):
    """A destination that counts what rdflib writes, so the baseline keeps no output."""

    def __init__(self) -> None:
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.count += len(data)
        return len(data)


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
    sink = ByteCounter()
    graph.serialize(
        destination=cast(IO[bytes], sink), format=dcat.FORMATS[ext].rdflib_name, encoding="utf-8"
    )
    return sink.count


SIDES = {"baseline": baseline, "streamed": streamed}


def memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def run_side(side: str, ext: str) -> None:
    """In the child: one side of the comparison, printed as one JSON line."""
    import django

    django.setup()
    from django.db import connection

    from verbund.opendata import dcat

    # What the work needs besides itself: the connection and rdflib's serialiser plugin
    connection.ensure_connection()
    urls = dcat.Urls("https://verbund.example")
    head = dcat.catalog_graph(urls, title="K", description="K", publisher_name="V")
    head.serialize(destination=cast(IO[bytes], ByteCounter()), format=dcat.FORMATS[ext].rdflib_name)
    # Linux: writing 5 to clear_refs resets VmHWM to the current resident memory
    Path("/proc/self/clear_refs").write_text("5")
    before = memory_kib("VmRSS")
    started, cpu = time.perf_counter(), time.process_time()
    size = SIDES[side](ext)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = memory_kib("VmHWM")
    print(
        json.dumps({"seconds": seconds, "cpu": cpu, "before": before, "peak": peak, "size": size})
    )


def measure(side: str, ext: str) -> dict[str, float]:
    """One side in a fresh child process (the database and state of this run, by env)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--side", side, "--format", ext]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def search_calls(count: int) -> list[tuple[str, dict[str, object]]]:
    """What clients send: the catalogue page's search with facets, tag and facet filters,
    paging deep into the result, and a harvester walking the catalogue in pages of 100."""
    facets = '["organization","groups","res_format","license_id","kreis"]'
    calls: list[tuple[str, dict[str, object]]] = []
    for n, word in enumerate(WORDS):
        calls.append(("q", {"q": word.lower(), "rows": 10}))
        calls.append(("q+facets", {"q": word.lower(), "rows": 20, "facet.field": facets}))
        calls.append(
            (
                "fq tag, sorted",
                {"fq": f"tags:{word.lower()}", "rows": 10, "sort": "metadata_modified desc"},
            )
        )
        calls.append(
            (
                "harvester page",
                {"rows": 100, "start": (n * 3217) % count, "sort": "name asc"},
            )
        )
    calls.append(("all+facets, deep", {"q": "", "rows": 10, "start": 1000, "facet.field": facets}))
    calls.append(("all+facets", {"q": "*:*", "rows": 20, "facet.field": facets}))
    calls.append(
        (
            "fq groups+format+facets",
            {"fq": "groups:econ res_format:CSV", "rows": 20, "facet.field": facets},
        )
    )
    calls.append(
        (
            "fq org+licence, paged",
            {
                "fq": 'organization:stadt-erfurt license_id:"http://dcat-ap.de/def/licenses/dl-zero-de/2.0"',
                "rows": 20,
                "start": 20,
                "facet.field": '["groups","tags"]',
            },
        )
    )
    return calls


def search_latency(count: int) -> list[float]:
    from django.db import connection, reset_queries

    from verbund.opendata import ckan, dcat

    urls = dcat.Urls("https://verbund.example")
    calls = search_calls(count)
    timings: list[float] = []
    cpu_timings: list[float] = []  # this process: with SQLite's work, without PostgreSQL's
    worst: dict[str, float] = {}
    queries: dict[str, int] = {}
    cold: list[float] = []  # the first call of each: nothing of it in the count cache yet
    for label, p in calls:  # warm-up round, and the query count per call
        connection.force_debug_cursor = True
        reset_queries()
        started = time.perf_counter()
        json.dumps(ckan.package_search(dict(p), urls))
        cold.append((time.perf_counter() - started) * 1000)
        queries[label] = max(queries.get(label, 0), len(connection.queries))
        connection.force_debug_cursor = False
    print(
        f"package_search first calls (counts not cached; query log on): "
        f"p50 {statistics.median(cold):7.2f} ms  p95 {percentile(cold, 0.95):7.2f} ms"
    )
    for _round in range(3):
        for label, p in calls:
            started, cpu = time.perf_counter(), time.process_time()
            json.dumps(ckan.package_search(dict(p), urls))
            elapsed = (time.perf_counter() - started) * 1000
            timings.append(elapsed)
            cpu_timings.append((time.process_time() - cpu) * 1000)
            worst[label] = max(worst.get(label, 0.0), elapsed)
    for label, ms in sorted(worst.items(), key=lambda item: -item[1]):
        print(f"  package_search {label:26} worst {ms:7.2f} ms, {queries[label]} queries")
    print(
        f"package_search CPU of this process (SQLite included, PostgreSQL server not): "
        f"p50 {statistics.median(cpu_timings):7.2f} ms  p95 {percentile(cpu_timings, 0.95):7.2f} ms"
    )
    return timings


def spread(values: list[float]) -> str:
    median = statistics.median(values)
    return f"min {min(values):8.2f}  median {median:8.2f}  max {max(values):8.2f}"


def load() -> str:
    return ", ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--datasets", type=int, default=50000)
    parser.add_argument("--format", default="ttl", choices=["ttl", "rdf", "jsonld"])
    parser.add_argument(
        "--runs", type=int, default=2, help="runs of each side (0: package_search only)"
    )
    parser.add_argument("--side", choices=sorted(SIDES), help=argparse.SUPPRESS)
    parser.add_argument(
        "--state-dir", help="state directory to use (and keep) instead of a temporary one"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the catalogue an earlier run generated in --state-dir (SQLite) or at "
        "--database-url when it has --datasets datasets; generation takes minutes",
    )
    args = parser.parse_args()
    if args.side:  # a child: database and state are in the environment
        run_side(args.side, args.format)
        return
    setup_database(args.database_url, args.state_dir, args.reuse)
    from django.db import connection

    from verbund.opendata.models import Dataset

    generated = 0.0
    if not (args.reuse and generated_count() == args.datasets):
        Dataset.objects.all().delete()
        started = time.perf_counter()
        generate(args.datasets)
        generated = time.perf_counter() - started
    if connection.vendor == "postgresql":
        # What autovacuum does soon after such a load (since PostgreSQL 13 also after
        # inserts alone): statistics, and the visibility map, without which an index-only
        # scan of a deep `start` fetches every skipped row from the table (12 instead of
        # 2 ms at start=20000). Also on a reused catalogue: a server with autovacuum off.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(
        f"dcat export: {args.datasets} datasets, format {args.format}, database "
        f"{connection.vendor}, generated in {generated:.1f} s (0: reused), load {load()}",
        flush=True,
    )
    from django.core.cache import cache

    # The cached counts of an earlier run on the same catalogue (a file cache in the state
    # directory) would make the first calls cached ones
    cache.clear()
    timings = search_latency(args.datasets)
    p50, p95 = statistics.median(timings), percentile(timings, 0.95)
    print(
        f"package_search: {len(timings)} calls  p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  "
        f"max {max(timings):7.2f} ms  load {load()}",
        flush=True,
    )
    connection.close()
    if not args.runs:
        return
    results: dict[str, list[dict[str, float]]] = {"baseline": [], "streamed": []}
    for run in range(args.runs):
        for side in ("baseline", "streamed"):
            r = measure(side, args.format)
            results[side].append(r)
            peak = (r["peak"] - r["before"]) / 1024
            print(
                f"run {run + 1} {side:8}  {r['seconds']:8.1f} s ({r['cpu']:7.1f} s CPU)  "
                f"peak {peak:8.1f} MiB "
                f"above {r['before'] / 1024:6.1f} MiB at start  {r['size'] / 2**20:7.1f} MiB out  "
                f"load {load()}",
                flush=True,
            )
    seconds = {side: [r["seconds"] for r in rs] for side, rs in results.items()}
    cpu = {side: [r["cpu"] for r in rs] for side, rs in results.items()}
    peaks = {side: [(r["peak"] - r["before"]) / 1024 for r in rs] for side, rs in results.items()}
    for side in ("baseline", "streamed"):
        print(f"{side:8} time s    {spread(seconds[side])}")
        print(f"{side:8} CPU s     {spread(cpu[side])}")
        print(f"{side:8} peak MiB  {spread(peaks[side])}")
    time_ratio = statistics.median(seconds["streamed"]) / statistics.median(seconds["baseline"])
    cpu_ratio = statistics.median(cpu["streamed"]) / statistics.median(cpu["baseline"])
    memory_ratio = statistics.median(peaks["streamed"]) / statistics.median(peaks["baseline"])
    print(
        f"ratio streamed/baseline (medians): time {time_ratio:.2f}, CPU {cpu_ratio:.2f} "
        f"(goal <= 1), "
        f"memory {memory_ratio:.3f} (goal <= 0.1); package_search p95 {p95:.1f} ms "
        f"(goal <= 50 ms)"
    )


if __name__ == "__main__":
    main()
