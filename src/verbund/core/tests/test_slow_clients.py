"""Issue 11, finding 6: `verbund serve` keeps answering while 100 slow clients trickle headers.

A slowloris-style attack: 100 connections each send one byte of their request headers every
half second and never finish. Meanwhile `/healthz` must answer in under a second, every time.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from verbund.core.models import WorkerHeartbeat
from verbund.core.tests.test_deployment import database_url, free_port, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SLOW_CLIENTS = 100
SECONDS = 12


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    # A live worker, so that /healthz answers 200 (the test measures time, not the checks).
    WorkerHeartbeat.objects.create(
        worker_id="slow-client-test", seen_at=timezone.now() + timezone.timedelta(minutes=5)
    )
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "verbund",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "verbund.settings.test",
            "DATABASE_URL": database_url(),
            "VERBUND_STATE_DIR": str(tmp_path / "state"),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: _status(url) == 200,
            120,
            f"server did not start: {(tmp_path / 'serve.log').read_bytes()[-2000:]!r}",
        )
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _status(url: str) -> int:
    try:
        return requests.get(f"{url}/healthz", timeout=5).status_code
    except requests.RequestException:
        return 0


def trickle(port: int, stop: threading.Event, opened: list[socket.socket]) -> None:
    """Open the slow connections, then send each one more header byte every half second."""
    for _ in range(SLOW_CLIENTS):
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        opened.append(conn)
    header = b"X-Slow: " + b"a" * 10_000
    position = 0
    while not stop.is_set():
        for conn in list(opened):
            try:
                conn.sendall(header[position : position + 1])
            except OSError:
                opened.remove(conn)  # the server closed it: fine, it is not held then
        position = (position + 1) % len(header)
        stop.wait(0.5)


def test_healthz_answers_within_a_second_while_100_clients_trickle_headers(server):
    port = int(server.rsplit(":", 1)[1])
    stop = threading.Event()
    opened: list[socket.socket] = []
    attacker = threading.Thread(target=trickle, args=(port, stop, opened), daemon=True)
    attacker.start()
    wait_for(lambda: len(opened) == SLOW_CLIENTS, 30, "could not open the slow connections")
    timings = []
    try:
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status = requests.get(f"{server}/healthz", timeout=5).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__  # type: ignore[assignment]
            timings.append((time.monotonic() - started, status))
            time.sleep(0.2)
        held = len(opened)
    finally:
        stop.set()
        attacker.join(timeout=10)
        for conn in opened:
            conn.close()
    slowest = max(t for t, _ in timings)
    print(f"{len(timings)} Abfragen, langsamste {slowest:.3f} s, {held} langsame Clients gehalten")
    assert all(status == 200 for _, status in timings), timings
    assert slowest < 1.0, timings
    assert held == SLOW_CLIENTS
