"""Shared test fixtures: the demo Land is loaded once per test session.

Every test that uses the database starts from the real Thüringen directory (from
../shared/data when present, else from the shipped fixture) and the demo data of every
domain, inside a transaction that is rolled back afterwards.
"""

from __future__ import annotations

import email
import email.message
import io
import os
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from verbund.core.components import Component, component_of
from verbund.core.testing import needs


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """In CI a test that skips because a real component is missing is a failure that names
    the component: CI must not go green because chromium, clamd or the data were absent."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    component = component_of(_skip_reason(report))
    if component is not None and _in_ci():
        report.outcome = "failed"
        report.longrepr = (
            f"CI=true: kein Test darf übersprungen werden, weil etwas fehlt. "
            f"{component.missing} — {component.remedy}"
        )
        report.user_properties.append(("missing_component", component.key))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """One line per missing component at the end of the run (after pytest's short summary),
    in German, with the remedy."""
    yield
    counts: Counter[str] = Counter()
    components: dict[str, Component] = {}
    for report in terminalreporter.stats.get("skipped", []):
        component = component_of(_skip_reason(report))
        if component is not None:
            counts[component.key] += 1
            components[component.key] = component
    for status in ("failed", "error"):
        for report in terminalreporter.stats.get(status, []):
            for name, key in getattr(report, "user_properties", []):
                if name == "missing_component":
                    counts[key] += 1
                    components[key] = component_of(f"[component:{key}]")  # type: ignore[assignment]
    if not counts:
        return
    verb = "gescheitert (CI)" if _in_ci() else "übersprungen"
    terminalreporter.write_line("")
    for key, count in counts.most_common():
        component = components[key]
        noun = "Test" if count == 1 else "Tests"
        terminalreporter.write_line(
            f"{count} {noun} {verb}: {component.missing} — {component.remedy}",
            yellow=not _in_ci(),
            red=_in_ci(),
            bold=True,
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that commit (browser tests, worker processes) run last: their tables are
    truncated after each test, which would take the session's demo data away from the tests
    after them."""

    def commits(item: pytest.Item) -> bool:
        marker = item.get_closest_marker("django_db")
        return item.get_closest_marker("browser") is not None or bool(
            marker and marker.kwargs.get("transaction")
        )

    items.sort(key=commits)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        call_command("load-demo", stdout=io.StringIO())


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The official source files (../shared/data); tests that read them need them."""
    needs("data")
    return Path(settings.VERBUND_DATA_DIR)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never reach beyond this machine: only loopback connections are allowed."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host in {"localhost", "::1"} or host.startswith("127.") or host.startswith("/")
        ):
            raise RuntimeError(f"network access to {host!r} is blocked in tests")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture(autouse=True)
def _empty_page_cache() -> Iterator[None]:
    """Each test rolls its writes back, and with them the page generation token: a page
    cached in one test must not be served in the next (decision 0031)."""
    from django.core.cache import cache

    from verbund.core import memo

    cache.clear()
    memo.clear_all()  # the per-process answers of core.memo, for tests that enable them
    yield


@pytest.fixture(autouse=True)
def _german_by_default() -> Iterator[None]:
    """Every test starts in the platform's default language: a request that asked for
    English (LocaleMiddleware activates it for the thread) must not leak into the next test."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def login_staff():
    """Log a staff account into a test client as after password + second factor, for tests
    of other domains (the login flow itself is tested in accounts)."""
    import time

    from verbund.accounts.session_state import KEY

    def log_in(client, user):  # type: ignore[no-untyped-def]
        client.force_login(user)
        session = client.session
        session[KEY] = {
            "method": "password",
            "trust_level": "basic",
            "second_factor": "totp",
            "authenticated_at": time.time(),
            "has_device": True,
        }
        session.save()
        return client

    return log_in


class _SmtpInbox:
    """What a local SMTP server received (aiosmtpd handler)."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):  # type: ignore[no-untyped-def]
    """A real SMTP server (aiosmtpd) on loopback; Django sends through it. Yields the inbox
    whose `messages` are the mails that really arrived."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A real S3 endpoint on loopback (moto in server mode, spoken to over HTTP like any
    S3-compatible store) with one bucket; yields the `VERBUND_STORAGE` URL for it. The
    credentials are moto's test values, set in the environment for subprocesses too."""
    import boto3
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "verbund-test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "verbund-test-secret")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(
        Bucket="verbund", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    try:
        yield f"s3://verbund/test?endpoint_url={endpoint}"
    finally:
        server.stop()


@pytest.fixture
def s3_storage(settings, s3_server):  # type: ignore[no-untyped-def]
    """Every kind of file in the S3 server, under a prefix of this test's own."""
    import uuid

    from verbund.settings.storage import KINDS, storage_for

    prefix = f"t{uuid.uuid4().hex[:12]}"
    url = s3_server.replace("s3://verbund/test", f"s3://verbund/{prefix}")
    settings.STORAGES = {
        **settings.STORAGES,
        **{kind: storage_for(url, kind, Path(settings.STATE_DIR)) for kind in KINDS},
    }
    return url
