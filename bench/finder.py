"""Benchmark: responsibility finder requests per second and p99 latency against the minimal
JSON view /_bench/read, both served by the same gunicorn (2 workers) in one run and loaded
by wrk (a separate process) at 32 connections.

Usage: python bench/finder.py [--seconds 10] [--connections 32] [--workers 2]

Uses the configured database (DATABASE_URL; `verbund load-demo` loads the demo data). The finder
requests rotate over real places: every Gemeinde of the Land by AGS with a mix of Gemeinde,
Kreis and Land services, and PLZ lookups (some ambiguous, some with `ort`).
Goal (issue 3): finder >= 0.7 × the minimal view, p99 <= 30 ms at 32 connections.
Needs the Debian package `wrk`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
PORT = 8243
SERVICES = [
    "wohnsitz-anmelden",
    "hundesteuer-anmelden",
    "gewerbe-anmelden",
    "kfz-zulassung",
    "baugenehmigung",
    "schwerbehindertenausweis",
    "kindergeld",
]

LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local i = math.random(#paths)
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(99), latency:percentile(50),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def finder_paths(count: int) -> list[str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbund.settings.base")
    import django

    django.setup()
    from verbund.gebiete.models import Gebiet, Postleitzahl

    rng = random.Random(3)
    gemeinden = list(
        Gebiet.objects.filter(level="gemeinde", valid_until__isnull=True).values_list(
            "ags", flat=True
        )
    )
    plz = list(Postleitzahl.objects.values_list("plz", "ort"))
    if not gemeinden:
        sys.exit("No Gemeinden in the database: run `verbund load-demo` first.")
    paths = []
    for n in range(count):
        params = {"service": SERVICES[n % len(SERVICES)]}
        if n % 5 == 4:
            code, ort = rng.choice(plz)
            params["plz"] = code
            if n % 10 == 9 and ort:
                params["ort"] = ort
        else:
            params["ags"] = rng.choice(gemeinden)
        paths.append("/api/v1/finder?" + urlencode(params))
    return paths


def serve(workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "VERBUND_BENCH_ENDPOINTS": "true",
        "DJANGO_SETTINGS_MODULE": "verbund.settings.base",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/verbund"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(PORT),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    for _ in range(1200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/_bench/read")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    server.kill()
    sys.exit("server did not start")


def check(path: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit(f"{path}: HTTP {response.status} {body[:200]!r}")


def run_wrk(paths_file: Path, seconds: float, connections: int) -> dict[str, float]:
    script = paths_file.with_suffix(".lua")
    script.write_text(LUA % {"paths": paths_file})
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{PORT}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if not match:
        sys.exit(f"unexpected wrk output:\n{out}")
    requests, duration_us, p99_us, p50_us, errors = map(int, match.groups())
    return {
        "rps": requests / (duration_us / 1e6),
        "p99_ms": p99_us / 1000,
        "p50_ms": p50_us / 1000,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    paths = finder_paths(2000)
    from django.db import connections

    connections.close_all()
    work = Path(tempfile.mkdtemp(prefix="verbund-bench-finder-"))
    finder_file = work / "finder.txt"
    finder_file.write_text("\n".join(paths) + "\n")
    baseline_file = work / "baseline.txt"
    baseline_file.write_text("/_bench/read\n")
    server = serve(args.workers)
    try:
        for path in paths[:50]:
            check(path)  # every answer is a 200, and the workers are warm
        run_wrk(finder_file, 2, args.connections)
        run_wrk(baseline_file, 2, args.connections)
        baseline = run_wrk(baseline_file, args.seconds, args.connections)
        finder = run_wrk(finder_file, args.seconds, args.connections)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = finder["rps"] / baseline["rps"]
    print(
        f"/_bench/read:    {baseline['rps']:8.0f} req/s  p50 {baseline['p50_ms']:6.1f} ms  "
        f"p99 {baseline['p99_ms']:6.1f} ms  errors {baseline['errors']}"
    )
    print(
        f"/api/v1/finder:  {finder['rps']:8.0f} req/s  p50 {finder['p50_ms']:6.1f} ms  "
        f"p99 {finder['p99_ms']:6.1f} ms  errors {finder['errors']}"
    )
    print(
        f"ratio finder / minimal view: {ratio:.2f} (goal >= 0.7); "
        f"finder p99 {finder['p99_ms']:.1f} ms (goal <= 30 ms) at {args.connections} connections"
    )


if __name__ == "__main__":
    main()
