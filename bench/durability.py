"""Durability: send API submissions while gunicorn workers are killed with SIGKILL; then
every submission that got a receipt is present and intact, and none is duplicated.

Usage: python bench/durability.py [--database-url URL] [--seconds 15]

Each client retries a failed step with the same Idempotency-Key (announce) or the same
submission id and body (upload, submit), as a sender should.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import submissions as bench


def client(seconds: float, material, queue) -> None:
    receipts = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        key = f"durable-{uuid.uuid4()}"
        for _attempt in range(30):
            try:
                receipts.append((key, bench.one_submission(material, key)))
                break
            except (OSError, http.client.HTTPException, AssertionError, ValueError, KeyError):
                # a killed worker: connection reset, or a response cut off (IncompleteRead)
                time.sleep(0.05)
    queue.put(receipts)


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    state = tempfile.mkdtemp(prefix="verbund-durability-")
    jwk = bench.prepare(state, args.database_url)
    material = bench.material_for(jwk)
    from django.db import connection

    connection.close()
    server = bench.serve(3)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=client, args=(args.seconds, material, queue))
        for _ in range(3)
    ]
    for proc in procs:
        proc.start()
    kills = 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        time.sleep(random.uniform(0.3, 0.8))
        pids = worker_pids(server.pid)
        if pids:
            os.kill(random.choice(pids), signal.SIGKILL)
            kills += 1
    receipts = [r for _ in procs for r in queue.get()]
    for proc in procs:
        proc.join()
    server.terminate()
    server.wait()

    from verbund.applications.models import Submission
    from verbund.applications.queries import attachment_storage
    from verbund.applications.sealing import sha256_hex

    missing = duplicated = broken = 0
    storage = attachment_storage()
    for key, number in receipts:
        found = list(Submission.objects.filter(idempotency_key=key))
        if len(found) != 1 or found[0].vorgangsnummer != number:
            missing += 1
            continue
        submission = found[0]
        if sha256_hex(submission.encrypted_data.encode()) != submission.ciphertext_sha256:
            broken += 1
        for attachment in submission.attachments.all():
            with storage.open(attachment.storage_name, "rb") as fh:
                if sha256_hex(fh.read()) != attachment.ciphertext_sha256:
                    broken += 1
    numbers = [n for _, n in receipts]
    duplicated = len(numbers) - len(set(numbers))
    print(f"{len(receipts)} receipts while {kills} workers were killed (SIGKILL)")
    print(f"missing {missing}, duplicated {duplicated}, broken {broken}")
    print("durability:", "OK" if not (missing or duplicated or broken) and receipts else "FAILED")
    print(json.dumps({"receipts": len(receipts), "kills": kills}))


if __name__ == "__main__":
    main()
