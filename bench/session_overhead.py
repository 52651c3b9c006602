"""Benchmark: what the mandatory second factor costs a staff session per request.

Usage: python bench/session_overhead.py [--database-url URL] [--port 8251] [--seconds 4]
                                        [--rounds 3]

Three wrk runs hit the same baseline view (/_bench/read) through gunicorn: without a
cookie, with a citizen's session (no second factor) and with a staff session whose second
factor is verified. Citizen and staff both pay Django's session authentication (session
row and account row); the staff session additionally passes the second-factor and expiry
checks, which must read only the session, never the database. Goal: staff ≤ 1.2× citizen.
The anonymous run shows what session authentication itself costs (information only).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
PASSWORD = "Bench-Passwort-2026"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def fresh_postgres_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def wrk(url: str, seconds: int, cookie: str | None) -> float:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not match:
        sys.exit(f"wrk printed no rate:\n{output}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx:
        sys.exit(f"{non2xx.group(1)} requests failed:\n{output}")
    return float(match.group(1))


def session_cookie(base: str, login: str, *, totp: bool) -> str:
    import pyotp
    import requests

    session = requests.Session()
    page = session.get(f"{base}/konto/anmelden/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    session.post(
        f"{base}/konto/anmelden/",
        data={"csrfmiddlewaretoken": token, "login": login, "password": PASSWORD},
        headers={"Referer": base},
        timeout=30,
    )
    if not totp:
        return f"sessionid={session.cookies['sessionid']}"
    page = session.get(f"{base}/konto/zweiter-faktor/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    session.post(
        f"{base}/konto/zweiter-faktor/",
        data={"csrfmiddlewaretoken": token, "code": pyotp.TOTP(SECRET).now()},
        headers={"Referer": base},
        timeout=10,
    )
    if session.get(f"{base}/konto/", timeout=10, allow_redirects=False).status_code != 200:
        sys.exit(f"could not log {login} in")
    return f"sessionid={session.cookies['sessionid']}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--port", type=int, default=8251)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    state = tempfile.mkdtemp(prefix="verbund-bench-")
    env = {
        **os.environ,
        "VERBUND_STATE_DIR": state,
        "DATABASE_URL": args.database_url or f"sqlite:///{state}/bench.sqlite3",
        "DJANGO_SETTINGS_MODULE": "verbund.settings.base",
        "VERBUND_BENCH_ENDPOINTS": "true",
    }
    os.environ.update(env)
    if args.database_url and args.database_url.startswith("postgres"):
        fresh_postgres_database(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command

    from verbund.accounts.actions import upsert_account

    call_command("setup", verbosity=0)  # keys and database, as `make setup`
    call_command("collectstatic", interactive=False, verbosity=0)
    upsert_account(
        username="bench.staff",
        email="bench.staff@behoerde.invalid",
        kind="staff",
        actor="bench",
        password=PASSWORD,
        totp_secret=SECRET,
    )
    upsert_account(
        username="bench.citizen@example.invalid",
        email="bench.citizen@example.invalid",
        kind="citizen",
        actor="bench",
        password=PASSWORD,
    )
    base = f"http://127.0.0.1:{args.port}"
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

        for _ in range(100):
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        citizen_cookie = session_cookie(base, "bench.citizen@example.invalid", totp=False)
        staff_cookie = session_cookie(base, "bench.staff", totp=True)
        for cookie in (None, citizen_cookie, staff_cookie):  # warm up workers and connections
            wrk(f"{base}/_bench/read", 2, cookie)
        # Interleaved rounds, best of each: the machine is shared, single runs are noisy.
        best: dict[str, float] = {"anonymous": 0.0, "citizen": 0.0, "staff": 0.0}
        for _ in range(args.rounds):
            for name, cookie in (
                ("anonymous", None),
                ("citizen", citizen_cookie),
                ("staff", staff_cookie),
            ):
                best[name] = max(best[name], wrk(f"{base}/_bench/read", args.seconds, cookie))
        anonymous, citizen, staff = best["anonymous"], best["citizen"], best["staff"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    database = env["DATABASE_URL"].split(":", 1)[0]
    print(f"anonymous: {anonymous:.0f} req/s ({database}, information)")
    print(f"citizen session (baseline): {citizen:.0f} req/s")
    print(f"staff session, second factor verified: {staff:.0f} req/s")
    print(f"ratio staff/citizen (cost per request): {citizen / staff:.2f}× (goal ≤ 1.2)")
    print(f"session authentication vs anonymous: {anonymous / citizen:.2f}× (information)")


if __name__ == "__main__":
    main()
