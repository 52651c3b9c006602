"""Benchmark: complete API submissions (FIT-Connect shape, one 100 KB attachment) per second
against the minimal write view /_bench/write, both served by the same gunicorn in one run.

Usage: python bench/submissions.py [--database-url URL] [--seconds 10] [--clients 4]

A submission is announce + upload of the JWE attachment + submit (three requests); the
client encrypts beforehand, as a sender would. Goal (issue 4): ratio >= 0.5. Because a
submission legitimately costs three requests against the baseline's one, the per-request
ratio (3 x submissions/s against writes/s) is printed as well, and so is the rate of an
empty view (/_bench/read, no database) in the same run: three requests can never be faster
than a third of it. Each FIT-Connect step commits (the announcement, the attachment, the
receipt), and a committing request costs at least the baseline write, so a three-step
submission is bounded by 0.33x of the baseline whatever the server does. The CPU time the
server processes spend per operation is printed too (clients run on the same machine and
take their share of it).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
PORT = 8241
DEST = "stadtverwaltung-erfurt-16051000"


def prepare(state: str, database_url: str | None) -> dict:
    os.environ["VERBUND_STATE_DIR"] = state
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{state}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "verbund.settings.base"
    os.environ["VERBUND_BENCH_ENDPOINTS"] = "true"
    if database_url and database_url.startswith("postgres"):
        import psycopg

        base, _, name = database_url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load-demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from verbund.authorities.actions import ensure_encryption_key
    from verbund.authorities.models import Authority

    key = ensure_encryption_key(authority=Authority.objects.get(slug=DEST), actor="bench")
    return key.public_jwk


def serve(workers: int) -> subprocess.Popen:
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
    )
    deadline = time.monotonic() + 180  # a loaded machine needs long to import and fork
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            # 503 is an answer too: no task worker runs beside the benchmark's server.
            if conn.getresponse().status in (200, 503):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit("server did not start")


def request(method: str, path: str, body: bytes | str = b"", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def one_submission(material: tuple[str, str, str], key: str) -> str:
    attachment_jwe, data_jwe, meta_jwe = material
    attachment = str(uuid.uuid4())
    announce = {
        "destinationId": DEST,
        "serviceIdentifier": "wohnsitz-anmelden",
        "place": {"ags": "16051000"},
        "announcedAttachments": [attachment],
    }
    status, body = request(
        "POST",
        "/api/v1/submissions",
        json.dumps(announce),
        {"Content-Type": "application/json", "Idempotency-Key": key},
    )
    assert status in (200, 201), body
    submission = json.loads(body)["submissionId"]
    status, body = request(
        "PUT",
        f"/api/v1/submissions/{submission}/attachments/{attachment}",
        attachment_jwe,
        {"Content-Type": "application/jose"},
    )
    assert status == 204, body
    status, body = request(
        "PUT",
        f"/api/v1/submissions/{submission}",
        json.dumps({"encryptedData": data_jwe, "encryptedMetadata": meta_jwe}),
        {"Content-Type": "application/json"},
    )
    assert status == 200, body
    return json.loads(body)["vorgangsnummer"]


def _worker(kind: str, seconds: float, material, queue) -> None:
    done = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if kind == "baseline":
            status, _ = request("POST", "/_bench/write", b"x" * 64)
            assert status == 201
        elif kind == "empty":
            status, _ = request("GET", "/_bench/read")
            assert status == 200
        else:
            one_submission(material, f"bench-{uuid.uuid4()}")
        done += 1
    queue.put(done)


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) of the gunicorn master and its workers so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def measure(kind: str, seconds: float, clients: int, material) -> float:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_worker, args=(kind, seconds, material, queue))
        for _ in range(clients)
    ]
    start = time.monotonic()
    for proc in procs:
        proc.start()
    total = sum(queue.get() for _ in procs)
    for proc in procs:
        proc.join()
    return total / (time.monotonic() - start)


def material_for(jwk: dict) -> tuple[str, str, str]:
    from verbund.applications.sealing import canonical_json, seal

    attachment = b"%PDF-1.4\n" + os.urandom(100 * 1024)
    data = canonical_json({"data": {"familienname": "Muster", "vornamen": "Erika"}})
    return seal(attachment, jwk), seal(data, jwk), seal(b'{"attachments":[]}', jwk)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    state = tempfile.mkdtemp(prefix="verbund-bench-")
    jwk = prepare(state, args.database_url)
    material = material_for(jwk)
    from django.db import connection

    vendor = connection.vendor
    connection.close()
    server = serve(args.workers)
    try:
        measure("baseline", 2, args.clients, material)  # warm up
        one_submission(material, "warm-up")
        cpu: dict[str, float] = {}
        rates: dict[str, float] = {}
        for kind in ("empty", "baseline", "submission"):
            before = server_cpu(server.pid)
            started = time.monotonic()
            rates[kind] = measure(kind, args.seconds, args.clients, material)
            elapsed = time.monotonic() - started
            cpu[kind] = (server_cpu(server.pid) - before) / (rates[kind] * elapsed) * 1000
    finally:
        server.terminate()
        server.wait()
    baseline, submissions, empty = rates["baseline"], rates["submission"], rates["empty"]
    ratio = submissions / baseline
    print(
        f"database {vendor}, {args.workers} gunicorn workers, {args.clients} clients, "
        f"{args.seconds:g} s each"
    )
    print(
        f"empty view /_bench/read      {empty:8.1f} requests/s   server CPU {cpu['empty']:.2f} ms"
    )
    print(
        f"baseline /_bench/write       {baseline:8.1f} writes/s     "
        f"server CPU {cpu['baseline']:.2f} ms"
    )
    print(
        f"API submission (100 KB)      {submissions:8.1f} submissions/s   ratio {ratio:5.2f}x   "
        f"server CPU {cpu['submission']:.2f} ms"
    )
    print(
        f"API requests (3 per submission) {3 * submissions:5.1f} requests/s      "
        f"per-request ratio {3 * ratio:5.2f}x"
    )
    print(
        f"bounds for three requests: empty requests alone {empty / 3 / baseline:.2f}x; "
        "three requests that each commit (announce, upload, submit; each at least one "
        "baseline write) 0.33x"
    )
    print(f"goal: ratio >= 0.5 -> {'meets' if ratio >= 0.5 else 'MISSES'}")


if __name__ == "__main__":
    main()
