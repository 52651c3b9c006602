"""Benchmark: the back-office inbox on PostgreSQL with many cases (issue 5).

Generates N cases (default 10 million) across 900 authorities in a dedicated database with
COPY (compact rows: no ciphertext, as the inbox never reads it), then measures with the real
access layer (`casework.queries.inbox_page`) the first page and a deep page (keyset cursor
thousands of rows in) of large authorities' inboxes, against a primary-key lookup of a case
in the same run.

Usage: python bench/inbox.py [--cases 10000000] [--authorities 900] [--runs 200]
       [--database-url postgres://postgres@127.0.0.1:5432/verbund_bench_inbox] [--reuse]

Goal: p95 of both pages <= 50 ms and <= 5x the p95 of the primary-key lookup.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import random
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
OPEN = ["received", "forwarded", "in_progress", "information_needed"]


def setup_django(database_url: str, fresh: bool) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("VERBUND_STATE_DIR", tempfile.mkdtemp(prefix="bench-inbox-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "verbund.settings.base"
    if fresh:
        import psycopg

        base, _, name = database_url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    if fresh:
        from django.core.management import call_command

        call_command("setup", verbosity=0)  # keys and database, as `make setup`
        call_command("load-demo", stdout=io.StringIO())


def code(n: int) -> str:
    chars = []
    for _ in range(8):
        n, r = divmod(n, 32)
        chars.append(ALPHABET[r])
    c = "".join(reversed(chars))
    return f"VB-B-{c[:4]}-{c[4:]}"


def _without_secondary(table: str, cursor) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """Drop every constraint and index (primary key included: a random-UUID key inserted row
    by row thrashes the buffer cache) and return their DDL, to build them after the COPY."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u', 'p') "
        "ORDER BY contype = 'f', contype = 'u' DESC",
        [table],
    )
    constraints = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return (
        [f'ALTER TABLE {table} ADD CONSTRAINT "{n}" {d}' for n, d in constraints],
        [d for _, d in indexes],
    )


def generate(total: int, authority_count: int) -> float:
    from django.db import connection, transaction

    from verbund.accounts.models import User
    from verbund.applications.models import FormVersion
    from verbund.authorities.models import Authority, EncryptionKey, StaffMembership, StaffRole
    from verbund.gebiete.models import Gebiet

    started = time.perf_counter()
    gebiet = Gebiet.objects.order_by("pk").first()
    assert gebiet is not None
    with transaction.atomic():
        authorities = Authority.objects.bulk_create(
            [
                Authority(
                    slug=f"bench-{i:04d}",
                    name=f"Bench-Behörde {i}",
                    kind="stadtverwaltung",
                    gebiet=gebiet,
                    tenant_status="joined",
                )
                for i in range(authority_count)
            ]
        )
        keys = EncryptionKey.objects.bulk_create(
            [
                EncryptionKey(
                    authority=a, kid=f"bench-{a.pk}", public_jwk={}, protection="platform"
                )
                for a in authorities
            ]
        )
        for i in (0, 1, authority_count // 2):
            user = User.objects.create_user(f"bench-clerk-{i}", kind="staff")
            StaffMembership.objects.create(
                user=user, authority=authorities[i], role=StaffRole.CLERK
            )
    versions = list(
        FormVersion.objects.filter(status="published").select_related("definition__service")
    )
    services = [(v.definition.service_id, v.pk) for v in versions if v.definition.service_id]
    assert services, "load-demo should have published forms"
    clerk_ids = list(
        User.objects.filter(username__startswith="bench-clerk-").values_list("pk", flat=True)
    )
    # Skewed sizes: a few large authorities (cities, Landratsämter), many small Gemeinden.
    weights = [1 / (i + 1) ** 0.9 for i in range(authority_count)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[-1] += total - sum(sizes)
    now = datetime.datetime.now(datetime.UTC)
    span = 5 * 365 * 86400
    rng = random.Random(5)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        # Tables that point at these first (their FKs need the primary keys).
        dependants = []
        for table in ("applications_submission", "casework_case"):
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass "
                "AND conrelid::regclass::text NOT IN ('applications_submission', 'casework_case')",
                [table],
            )
            for rel, name, ddl in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {rel} DROP CONSTRAINT "{name}"')
                dependants.append(f'ALTER TABLE {rel} ADD CONSTRAINT "{name}" {ddl}')
        fk_case, idx_case = _without_secondary("casework_case", cursor)
        fk_sub, idx_sub = _without_secondary("applications_submission", cursor)
        raw = cursor.connection  # psycopg connection
        n = 0
        with raw.cursor() as cur:
            sub_cols = (
                "id, vorgangsnummer, status, channel, service_id, form_version_id, key_id, "
                "authority_id, basis, basis_explanation, place_ags, place_plz, place_name, "
                "encrypted_data, encrypted_metadata, data_sha256, ciphertext_sha256, "
                "announced_attachments, fee_total, fee_lines, status_secret_hash, request_sha256, "
                "status_note, submitted_at, released_at, created_at, updated_at"
            )
            case_cols = (
                "submission_id, deadline, assignee_id, name_indexed, closed_at, purge_after, "
                "created_at, updated_at"
            )
            for a, key, size in zip(authorities, keys, sizes, strict=True):
                sub_buf = io.StringIO()
                case_buf = io.StringIO()
                for _ in range(size):
                    age = rng.random() ** 2 * span  # more recent cases than old ones
                    at = now - datetime.timedelta(seconds=age)
                    old = age > 90 * 86400
                    status = (
                        "closed"
                        if old and rng.random() < 0.95
                        else rng.choice([*OPEN, "decided", "closed"])
                    )
                    service_id, version_id = services[n % len(services)]
                    ts = at.isoformat()
                    sid = f"{rng.getrandbits(128):032x}"
                    sub_buf.write(
                        f"{sid}\t{code(n)}\t{status}\tweb\t{service_id}\t{version_id}\t{key.pk}\t"
                        f"{a.pk}\tstructural\t\t\t\t\t\t\t\t\t[]\t0\t[]\t\t\t\t{ts}\t{ts}\t{ts}\t{ts}\n"
                    )
                    deadline = (at + datetime.timedelta(days=30)).date().isoformat()
                    assignee = rng.choice(clerk_ids) if rng.random() < 0.3 else "\\N"
                    closed = ts if status == "closed" else "\\N"
                    purge = (
                        (at + datetime.timedelta(days=800)).date().isoformat()
                        if status == "closed"
                        else "\\N"
                    )
                    case_buf.write(
                        f"{sid}\t{deadline}\t{assignee}\tf\t{closed}\t{purge}\t{ts}\t{ts}\n"
                    )
                    n += 1
                with cur.copy(f"COPY applications_submission ({sub_cols}) FROM STDIN") as copy:
                    copy.write(sub_buf.getvalue())
                with cur.copy(f"COPY casework_case ({case_cols}) FROM STDIN") as copy:
                    copy.write(case_buf.getvalue())
                if a.pk % 100 == 0:
                    print(
                        f"  {n:>10,} rows copied ({time.perf_counter() - started:.0f} s)",
                        flush=True,
                    )
        print(f"  copied {n:,} cases; building indexes and constraints", flush=True)
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for ddl in fk_sub + idx_sub + fk_case + idx_case + dependants:
            cursor.execute(ddl)
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def measure(runs: int) -> None:
    from verbund.applications.models import Submission
    from verbund.authorities.models import StaffMembership
    from verbund.casework import queries
    from verbund.casework.models import Case

    memberships = list(
        StaffMembership.objects.filter(user__username__startswith="bench-clerk-").select_related(
            "authority", "user"
        )
    )
    ids = list(Case.objects.order_by("?").values_list("pk", flat=True)[:runs])
    cursors = {}
    for m in memberships:
        # A cursor thousands of rows into the open cases (found once, outside the timing).
        deep = (
            queries.cases_of(m)
            .filter(status__in=queries.rules.OPEN)
            .order_by("-released_at", "-pk")
        )
        count = deep.count()
        target = deep[min(count - 1, max(0, count * 3 // 4))]
        cursors[m.pk] = (queries.encode_cursor(target), count)
        size = Submission.objects.filter(authority=m.authority).count()
        print(f"  {m.authority.slug}: {size:,} cases, {count:,} open")

    def timed(call) -> float:  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        call()
        return (time.perf_counter() - t) * 1000

    # warm-up
    for m in memberships:
        queries.inbox_page(m, queries.InboxFilter())
    pk, first, deep = [], [], []
    for i in range(runs):
        m = memberships[i % len(memberships)]
        key = ids[i % len(ids)]
        cursor = cursors[m.pk][0]
        pk.append(timed(partial(Case.objects.select_related("submission").get, pk=key)))
        first.append(timed(partial(queries.inbox_page, m, queries.InboxFilter())))
        deep.append(timed(partial(queries.inbox_page, m, queries.InboxFilter(), cursor=cursor)))
    base = p95(pk)
    print(f"primary-key lookup   p50 {statistics.median(pk):6.2f} ms  p95 {base:6.2f} ms")
    for label, samples in (("inbox first page", first), ("inbox deep page", deep)):
        value = p95(samples)
        ok = value <= 50 and value <= 5 * base
        print(
            f"{label:<20} p50 {statistics.median(samples):6.2f} ms  p95 {value:6.2f} ms  "
            f"ratio {value / base:4.2f}x  {'OK' if ok else 'MISSED'} (goal <= 50 ms, <= 5x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--authorities", type=int, default=900)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/verbund_bench_inbox"
    )
    parser.add_argument("--reuse", action="store_true", help="measure the existing bench data")
    args = parser.parse_args()
    setup_django(args.database_url, fresh=not args.reuse)
    if not args.reuse:
        print(f"generating {args.cases:,} cases across {args.authorities} authorities with COPY")
        seconds = generate(args.cases, args.authorities)
        print(f"generation: {seconds:.1f} s")
    measure(args.runs)


if __name__ == "__main__":
    main()
