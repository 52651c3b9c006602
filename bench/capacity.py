"""Benchmark: what one installation sustains under a citizen portal's mixed load (issue 18).

Usage: python bench/capacity.py [--database-url postgres://…/verbund_bench_capacity]
       [--workers 5] [--step-seconds 15] [--users 4,8,16,32,64,128] [--p95-limit 300]

Serves the platform with `verbund serve` (granian) on a fresh PostgreSQL database with the
demo data and drives it with Locust (headless, as a library, bounded in time) through a mix
modelled on a citizen portal:

    60 %  search and service pages            20 %  "Wer ist zuständig?" (finder)
    10 %  application steps (drafts)           3 %  API submissions with a 100 KB attachment
     5 %  back-office inbox and case views      2 %  e-invoice checks (API)

The user count rises step by step (closed loop, no think time) until the p95 of all requests
exceeds the limit (300 ms); the sustainable rate is the highest requests/s of a step whose
p95 stayed within it. The same ramp then runs against the minimal Django view (/_bench/read,
no database) served the same way, and the ratio of the two sustainable rates is printed last.
Goal: mix ≥ 0.5 × the minimal view at p95 ≤ 300 ms.

Locust and the server share this machine's cores; both runs pay the same price for that.
The public rate limits (submission API, e-invoice checks, anonymous drafts) count requests
per client address; here every virtual user comes from 127.0.0.1, so the benchmark raises
them for its own server — in production they protect against single abusive clients, not
against a portal's total traffic.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("BENCH_PORT", "8243"))
DEST = "stadtverwaltung-erfurt-16051000"
# Words a citizen types, in our own choice (none taken from the evaluation sets).
SEARCH_WORDS = [
    "Hund",
    "Wohnung",
    "Ausweis",
    "Reisepass",
    "Gewerbe",
    "Bauantrag",
    "Kindergeld",
    "Parkausweis",
    "Fahrerlaubnis",
    "Geburt",
    "Sterbefall",
    "Müll",
    "Grundsteuer",
    "Führungszeugnis",
    "Elterngeld",
    "Wohngeld",
]
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "verbund.settings.base",
    "VERBUND_BENCH_ENDPOINTS": "true",
    "VERBUND_HTTPS": "false",
    "VERBUND_PAYMENT_PROVIDER": "test",
    "VERBUND_KEY_CUSTODY": "platform",  # the demo's keys (as `make bench`)
    "VERBUND_SUBMISSION_API_RATE": "1000000",
    "VERBUND_EINVOICE_VALIDATE_LIMIT": "1000000",
}


# --- preparation (a separate process: Locust patches the standard library with gevent) ------


def prepare(state: str, database_url: str, out: str) -> None:
    """Fresh database with the demo data; writes what the virtual users need to `out`."""
    os.environ.update(SERVER_ENV, VERBUND_STATE_DIR=state, DATABASE_URL=database_url)
    sys.path.insert(0, str(ROOT / "src"))
    import psycopg

    base, _, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    call_command("setup", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load-demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from verbund.accounts.models import User
    from verbund.accounts.session_state import KEY
    from verbund.applications.models import FormVersion, Submission
    from verbund.applications.sealing import canonical_json, seal
    from verbund.authorities.actions import ensure_encryption_key
    from verbund.authorities.models import Authority
    from verbund.catalogue.models import Service
    from verbund.einvoices.actions import issue_api_key
    from verbund.gebiete.models import Postleitzahl

    erfurt = Authority.objects.get(slug=DEST)
    jwk = ensure_encryption_key(authority=erfurt, actor="bench").public_jwk
    client = Client()
    client.force_login(User.objects.get(username="sb.erfurt"))
    session = client.session
    session[KEY] = {
        "method": "password",
        "trust_level": "basic",
        "second_factor": "totp",
        "authenticated_at": time.time(),
        "has_device": True,
    }
    session.save()
    _, api_key = issue_api_key(name="Lastprofil", actor="bench")
    suite = Path(settings.VERBUND_EINVOICE_RULES) / "testsuite"
    invoices = sorted(str(p) for p in suite.rglob("*_ubl.xml"))[:8]
    if not invoices:
        sys.exit(f"no test-suite invoices in {suite}: set VERBUND_EINVOICE_RULES")
    online = sorted(
        {
            version.definition.service.slug
            for version in FormVersion.objects.filter(status="published").select_related(
                "definition__service"
            )
            if version.definition.service and version.schema.get("applicant") != "authority"
        }
    )
    attachment = b"%PDF-1.4\n" + os.urandom(100 * 1024)
    data = canonical_json({"data": {"familienname": "Muster", "vornamen": "Erika"}})
    material = {
        "slugs": list(Service.objects.order_by("slug").values_list("slug", flat=True)[:400]),
        "online": online,
        "plz": list(
            Postleitzahl.objects.filter(gemeinde__ags__startswith="16")
            .values_list("plz", flat=True)
            .distinct()[:300]
        ),
        "cases": list(
            Submission.objects.filter(authority=erfurt).values_list("vorgangsnummer", flat=True)
        ),
        "staff_cookie": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "api_key": api_key,
        "invoices": invoices,
        "sealed": [seal(attachment, jwk), seal(data, jwk), seal(b'{"attachments":[]}', jwk)],
    }
    Path(out).write_text(json.dumps(material))


# --- the server ------------------------------------------------------------------------------


def serve(state: str, database_url: str, workers: int) -> subprocess.Popen:
    env = {**os.environ, **SERVER_ENV, "VERBUND_STATE_DIR": state, "DATABASE_URL": database_url}
    command = [str(ROOT / ".venv/bin/verbund"), "serve", "--host", "127.0.0.1"]
    command += ["--port", str(PORT), "--workers", str(workers)]
    log = open(f"{state}/server.log", "wb")  # noqa: SIM115  (read after the run)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    import http.client

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):  # 503: no task worker beside it
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("server did not start: " + Path(f"{state}/server.log").read_text()[-2000:])


def server_cpu(pid: int) -> float:
    """CPU seconds of the server process and its children so far."""
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
        if int(entry) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


# --- the load (Locust as a library) ----------------------------------------------------------


def user_classes(material: dict):  # type: ignore[no-untyped-def]
    import random
    import uuid

    from locust import constant, task
    from locust.contrib.fasthttp import FastHttpUser

    csrf = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    invoices = [Path(p).read_bytes() for p in material["invoices"]]
    staff = {"Cookie": f"sessionid={material['staff_cookie']}"}
    attachment_jwe, data_jwe, meta_jwe = material["sealed"]

    class Portal(FastHttpUser):
        host = f"http://127.0.0.1:{PORT}"
        wait_time = constant(0)

        @task(30)
        def search(self) -> None:
            word = random.choice(SEARCH_WORDS)
            self.client.get(f"/leistungen/?q={word}", name="search /leistungen/?q=")

        @task(30)
        def service_page(self) -> None:
            slug = random.choice(material["slugs"])
            self.client.get(f"/leistungen/{slug}/", name="service page")

        @task(20)
        def finder(self) -> None:
            slug = random.choice(material["slugs"])
            plz = random.choice(material["plz"])
            with self.client.get(
                f"/leistungen/{slug}/zustaendigkeit?plz={plz}",
                name="finder zustaendigkeit",
                catch_response=True,
            ) as response:
                if response.status_code in (200, 422):  # 422: that PLZ needs the Ort too
                    response.success()

        @task(10)
        def draft(self) -> None:
            slug = random.choice(material["online"])
            page = self.client.get(f"/leistungen/{slug}/antrag/?plz=99084", name="draft start")
            token = csrf.search(page.text or "")
            if token is None:
                return
            self.client.post(
                f"/leistungen/{slug}/antrag/",
                data={"csrfmiddlewaretoken": token.group(1), "plz": "99084", "begin": "1"},
                name="draft begin + first step",
            )

        @task(3)
        def submission(self) -> None:
            attachment = str(uuid.uuid4())
            announce = {
                "destinationId": DEST,
                "serviceIdentifier": "wohnsitz-anmelden",
                "place": {"ags": "16051000"},
                "announcedAttachments": [attachment],
            }
            response = self.client.post(
                "/api/v1/submissions",
                json=announce,
                headers={"Idempotency-Key": str(uuid.uuid4())},
                name="submission 1 announce",
            )
            if response.status_code not in (200, 201):
                return
            submission = response.json()["submissionId"]
            self.client.put(
                f"/api/v1/submissions/{submission}/attachments/{attachment}",
                data=attachment_jwe,
                headers={"Content-Type": "application/jose"},
                name="submission 2 attachment (100 KB)",
            )
            self.client.put(
                f"/api/v1/submissions/{submission}",
                json={"encryptedData": data_jwe, "encryptedMetadata": meta_jwe},
                name="submission 3 submit",
            )

        @task(3)
        def inbox(self) -> None:
            self.client.get(f"/sachbearbeitung/{DEST}/", headers=staff, name="back office inbox")

        @task(2)
        def case(self) -> None:
            number = random.choice(material["cases"])
            self.client.get(
                f"/sachbearbeitung/vorgang/{number}/", headers=staff, name="back office case"
            )

        @task(2)
        def einvoice(self) -> None:
            self.client.post(
                "/api/v1/einvoices/validate",
                data=random.choice(invoices),
                headers={"Content-Type": "application/xml", "X-API-Key": material["api_key"]},
                name="e-invoice check",
            )

    class Minimal(FastHttpUser):
        host = f"http://127.0.0.1:{PORT}"
        wait_time = constant(0)

        @task
        def read(self) -> None:
            self.client.get("/_bench/read", name="minimal view /_bench/read")

    return Portal, Minimal


def ramp(user_class, users: list[int], seconds: float, limit: float, pid: int) -> dict:  # type: ignore[no-untyped-def]
    import gevent
    from locust.env import Environment

    env = Environment(user_classes=[user_class])
    runner = env.create_local_runner()
    steps = []
    for count in users:
        runner.start(count, spawn_rate=count)
        gevent.sleep(min(3.0, seconds / 3))  # settle: spawned, connections open
        env.stats.reset_all()
        cpu_before = server_cpu(pid)
        started = time.monotonic()
        gevent.sleep(seconds)
        elapsed = time.monotonic() - started
        total = env.stats.total
        rate = total.num_requests / elapsed
        step = {
            "users": count,
            "rps": rate,
            "p50": total.get_response_time_percentile(0.5),
            "p95": total.get_response_time_percentile(0.95),
            "failures": total.num_failures,
            "requests": total.num_requests,
            "server_cpu_ms": (server_cpu(pid) - cpu_before) / max(total.num_requests, 1) * 1000,
            "endpoints": {
                name: (
                    entry.num_requests,
                    entry.get_response_time_percentile(0.5),
                    entry.get_response_time_percentile(0.95),
                    entry.num_failures,
                )
                for (name, _method), entry in sorted(env.stats.entries.items())
            },
        }
        steps.append(step)
        print(
            f"  {count:4d} users  {rate:7.1f} req/s  p50 {step['p50']:5.0f} ms  "
            f"p95 {step['p95']:5.0f} ms  failures {step['failures']}  "
            f"server CPU {step['server_cpu_ms']:.2f} ms/request",
            flush=True,
        )
        for error in list(runner.errors.values())[:3]:
            print(f"    error in a task: {error.error} ({error.occurrences}×)", flush=True)
        if step["p95"] > limit:
            break
    runner.quit()
    within = [s for s in steps if s["p95"] <= limit and s["failures"] == 0]
    best = max(within, key=lambda s: s["rps"]) if within else None
    return {"steps": steps, "best": best}


def report_endpoints(step: dict) -> None:
    print(f"  per endpoint at {step['users']} users ({step['rps']:.1f} req/s):")
    for name, (count, p50, p95, failures) in step["endpoints"].items():
        print(
            f"    {name:36s} {count:6d} requests  p50 {p50:5.0f} ms  p95 {p95:5.0f} ms"
            + (f"  failures {failures}" if failures else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/verbund_bench_capacity"
        ),
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--step-seconds", type=float, default=15)
    parser.add_argument("--users", default="4,8,16,32,64,128")
    parser.add_argument("--p95-limit", type=float, default=300)
    parser.add_argument("--prepare-only", help=argparse.SUPPRESS)
    parser.add_argument("--state", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare_only:
        prepare(args.state, args.database_url, args.prepare_only)
        return
    state = tempfile.mkdtemp(prefix="verbund-capacity-")
    material_file = f"{state}/material.json"
    print("== preparing a fresh PostgreSQL database with the demo data", flush=True)
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--database-url",
            args.database_url,
            "--state",
            state,
            "--prepare-only",
            material_file,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    material = json.loads(Path(material_file).read_text())
    users = [int(n) for n in args.users.split(",")]

    from locust import events  # noqa: F401  (imports gevent and patches the standard library)

    portal, minimal = user_classes(material)
    server = serve(state, args.database_url, args.workers)
    try:
        print(f"== warm-up ({args.workers} granian workers)", flush=True)
        ramp(portal, [4], 20, float("inf"), server.pid)  # every worker builds its caches
        print("== citizen portal mix", flush=True)
        mix = ramp(portal, users, args.step_seconds, args.p95_limit, server.pid)
        print("== minimal Django view, served the same way", flush=True)
        base = ramp(minimal, users, args.step_seconds, args.p95_limit, server.pid)
    finally:
        server.terminate()
        server.wait()
    report_endpoints(mix["best"] or mix["steps"][0])
    none = {"rps": 0.0, "users": 0, "p95": float("nan")}
    m, b = mix["best"] or none, base["best"] or none
    print(
        f"sustainable at p95 <= {args.p95_limit:.0f} ms: mix {m['rps']:.1f} req/s "
        f"({m['users']} users, p95 {m['p95']:.0f} ms); minimal view {b['rps']:.1f} req/s "
        f"({b['users']} users, p95 {b['p95']:.0f} ms)"
    )
    ratio = m["rps"] / b["rps"] if b["rps"] else 0.0
    verdict = "meets" if ratio >= 0.5 else "MISSES"
    print(f"ratio mix / minimal view: {ratio:.2f}x  (goal >= 0.5: {verdict})")


if __name__ == "__main__":
    main()
