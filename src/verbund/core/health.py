"""What an instance needs to serve: its keys and database before start (`missing_state`),
and at run time the checks behind `/healthz` (`run_checks`).

Each check answers with a German sentence for the operator; `/healthz` answers 503 and names
every failed check, so a load balancer takes the instance out and the operator sees why.
"""

from __future__ import annotations

import errno
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from verbund.settings import state
from verbund.settings.storage import KINDS as STORAGE_KINDS

StrOrPromise = str | Promise
READ_ONLY = "Die Datenbank nimmt keine Änderungen an (nur Lesen möglich)."


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


# What domains add in their AppConfig.ready() (decision 0023: the shared ground names no
# domain): checks behind /healthz, and exceptions that mean an outage with their message.
DOMAIN_CHECKS: list[Callable[[], CheckResult]] = []
DOMAIN_OUTAGES: list[tuple[type[BaseException], StrOrPromise]] = []


def register_check(check: Callable[[], CheckResult]) -> None:
    """Add a check to /healthz (once, however often the app registry is readied)."""
    if check not in DOMAIN_CHECKS:
        DOMAIN_CHECKS.append(check)


def register_outage(kind: type[BaseException], message: StrOrPromise) -> None:
    """Answer requests that fail with `kind` (or caused by it) with 503 and `message`."""
    if all(known is not kind for known, _message in DOMAIN_OUTAGES):
        DOMAIN_OUTAGES.append((kind, message))


def missing_state() -> list[str]:
    """What `verbund serve` refuses to start without, each named with its remedy; empty
    when keys and database are in place. Never creates anything."""
    missing = []
    state_dir = Path(settings.STATE_DIR)
    try:
        settings.SECRET_KEY  # noqa: B018 - Django raises when it is empty
    except ImproperlyConfigured:
        missing.append(
            f"{state.SECRET_KEY.label}: weder die Umgebungsvariable SECRET_KEY noch "
            f"{state_dir / state.SECRET_KEY.filename}"
        )
    if not settings.OAUTH2_PROVIDER.get("OIDC_RSA_PRIVATE_KEY"):
        missing.append(
            f"{state.OIDC_KEY.label}: weder VERBUND_OIDC_PRIVATE_KEY_FILE noch "
            f"{state_dir / state.OIDC_KEY.filename}"
        )
    if not settings.VERBUND_PROFILE_ENCRYPTION_KEYS and not state.read_key(
        state_dir, state.PROFILE_KEY
    ):
        missing.append(
            f"{state.PROFILE_KEY.label}: weder VERBUND_PROFILE_ENCRYPTION_KEYS noch "
            f"{state_dir / state.PROFILE_KEY.filename}"
        )
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and not Path(database["NAME"]).is_file():
        # Connecting would create an empty database file: check before.
        missing.append(f"Datenbank: {database['NAME']} existiert nicht")
    else:
        result = check_migrations()
        if not result.ok:
            missing.append(f"Datenbank: {result.detail}")
    return missing


def check_database() -> CheckResult:
    """The database answers and accepts writes (a read-only database or replica does not)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
            # Touches no row, but a read-only database refuses it all the same.
            cursor.execute("UPDATE core_workerheartbeat SET queues = queues WHERE 1 = 0")
    except DatabaseError as exc:
        if "read-only" in str(exc) or "readonly" in str(exc):
            return CheckResult("database", False, READ_ONLY)
        return CheckResult(
            "database", False, f"Die Datenbank antwortet nicht ({exc.__class__.__name__})."
        )
    return CheckResult("database", True, connection.vendor)


_migrated: set[str] = set()


def check_migrations() -> CheckResult:
    """Every migration of the code is applied (remembered per process once it was so)."""
    if connection.alias in _migrated:
        return CheckResult("migrations", True, "aktuell")
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return CheckResult(
            "migrations", False, f"nicht lesbar ({exc.__class__.__name__}); `verbund setup`"
        )
    if plan:
        return CheckResult(
            "migrations",
            False,
            f"{len(plan)} Migration(en) nicht angewandt; `verbund setup` ausführen",
        )
    _migrated.add(connection.alias)
    return CheckResult("migrations", True, "aktuell")


def check_storage() -> list[CheckResult]:
    """Each kind of file storage takes a small file (written and deleted again)."""
    results = []
    for kind in STORAGE_KINDS:
        storage = storages[kind]
        try:
            name = storage.save(f"healthz/{uuid.uuid4().hex}", ContentFile(b"ok"))
            storage.delete(name)
        except Exception as exc:  # any failure of the backend means: files cannot be stored
            results.append(
                CheckResult(
                    f"storage:{kind}",
                    False,
                    f"Dateien ({kind}) können nicht gespeichert werden ({exc.__class__.__name__}).",
                )
            )
        else:
            results.append(CheckResult(f"storage:{kind}", True, "beschreibbar"))
    return results


def check_worker() -> CheckResult:
    """At least one task worker (`verbund worker`) reported within the stale interval."""
    since = timezone.now() - timedelta(seconds=settings.VERBUND_WORKER_STALE_SECONDS)
    from verbund.core.models import WorkerHeartbeat

    try:
        alive = WorkerHeartbeat.objects.filter(seen_at__gte=since).count()
    except DatabaseError:
        return CheckResult("worker", False, "Task-Worker nicht feststellbar (Datenbank).")
    if not alive:
        return CheckResult(
            "worker",
            False,
            f"Kein Task-Worker hat sich in den letzten "
            f"{settings.VERBUND_WORKER_STALE_SECONDS} s gemeldet (`verbund worker`).",
        )
    return CheckResult("worker", True, f"{alive} aktiv")


def run_checks() -> list[CheckResult]:
    database = check_database()
    results = [database]
    if database.ok or database.detail == READ_ONLY:
        results += [check_migrations(), check_worker()]
    results += check_storage()
    results += [check() for check in DOMAIN_CHECKS]
    return results


# Errors of the operating system that mean "this disk takes no files now", not a bug.
_STORAGE_ERRNOS = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOSPC,
    errno.EDQUOT,
    errno.ENOTDIR,
}
DATABASE_READ_ONLY_MESSAGE = _(
    "Verbund nimmt gerade keine Änderungen an: die Datenbank ist nur lesbar (Wartung oder "
    "Störung). Ihre Eingaben wurden nicht gespeichert. Lesen geht weiter; bitte versuchen "
    "Sie es in einigen Minuten erneut."
)
STORAGE_MESSAGE = _(
    "Verbund kann gerade keine Dateien speichern (Ablage nicht beschreibbar). Ihre Eingaben "
    "wurden nicht gespeichert. Lesen geht weiter; bitte versuchen Sie es in einigen Minuten "
    "erneut."
)


def outage_message(exc: BaseException | None) -> str | None:
    """The German message for an exception that is an operator's outage, not a bug: writes
    impossible right now (a read-only database, an unwritable or full storage; issue 11,
    finding 17) or one a domain registered (the e-invoice rules missing, issue 13). Such
    requests answer 503 with the message, not 500. None for any other exception."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        for kind, message in DOMAIN_OUTAGES:
            if isinstance(exc, kind):
                return str(message)
        if isinstance(exc, DatabaseError):
            text = str(exc).lower()
            if "readonly" in text or "read-only" in text or "read only" in text:
                return str(DATABASE_READ_ONLY_MESSAGE)
        elif isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS:
            return str(STORAGE_MESSAGE)
        exc = exc.__cause__ or exc.__context__
    return None
