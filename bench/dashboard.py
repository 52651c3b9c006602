"""Benchmark: the Gemeinde transparency dashboard against the plain service page.

Usage: python bench/dashboard.py [--database-url URL] [--port 8820] [--requests 200]
                                 [--rounds 3] [--gemeinde 16061001] [--reuse STATE_DIR]

Sets up a fresh installation with the demo data (which computes the aggregates), serves it
with `verbund serve`, and times sequential GETs of the Gemeinde dashboard
(/transparenz/<AGS>/) and of the service page /leistungen/wohnsitz-anmelden/ in interleaved
rounds, in the same run. Prints p50 and p95 per page (best round: the machine is shared) and,
last, the ratio of the p95 latencies. Goals: dashboard p95 < 100 ms, ratio ≤ 2×.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def fresh_postgres_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def timings(session, url: str, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    result = []
    for _ in range(count):
        start = time.perf_counter()
        response = session.get(url, timeout=10)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            sys.exit(f"{url}: HTTP {response.status_code}")
        result.append(elapsed * 1000)
    return result


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--port", type=int, default=8820)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gemeinde", default="16061001")
    parser.add_argument(
        "--reuse", metavar="STATE_DIR", help="state dir of an earlier run: skip setup and demo"
    )
    args = parser.parse_args()
    state = args.reuse or tempfile.mkdtemp(prefix="verbund-bench-")
    env = {
        **os.environ,
        "VERBUND_STATE_DIR": state,
        "DATABASE_URL": args.database_url or f"sqlite:///{state}/bench.sqlite3",
        "DJANGO_SETTINGS_MODULE": "verbund.settings.base",
        "VERBUND_HTTPS": "false",
    }
    os.environ.update(env)
    if args.database_url and args.database_url.startswith("postgres"):
        fresh_postgres_database(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command

    if not args.reuse:
        call_command("setup", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("load-demo", stdout=io.StringIO())  # computes the aggregates
        print(f"state dir (for --reuse): {state}")
    base = f"http://127.0.0.1:{args.port}"
    pages = {
        "service page (baseline)": f"{base}/leistungen/wohnsitz-anmelden/",
        "Gemeinde dashboard": f"{base}/transparenz/{args.gemeinde}/",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "verbund"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(args.port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import requests

        session = requests.Session()
        for _ in range(150):
            try:
                session.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        for url in pages.values():  # warm up workers, caches and connections
            timings(session, url, 20)
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.rounds):
            for name, url in pages.items():
                values = timings(session, url, args.requests)
                result = (statistics.median(values), p95(values))
                if name not in best or result[1] < best[name][1]:
                    best[name] = result
    finally:
        server.terminate()
        server.wait(timeout=30)
    database = env["DATABASE_URL"].split(":", 1)[0]
    for name, (p50, p95_ms) in best.items():
        print(f"{name}: p50 {p50:.1f} ms, p95 {p95_ms:.1f} ms ({database})")
    baseline = best["service page (baseline)"][1]
    dashboard = best["Gemeinde dashboard"][1]
    print(f"ratio dashboard/service page (p95): {dashboard / baseline:.2f}× (goal ≤ 2)")


if __name__ == "__main__":
    main()
