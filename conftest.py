"""Shared test fixtures: the demo Land is loaded once per test session.

Every test that uses the database starts from the real Thüringen directory (from
../shared/data when present, else from the shipped fixture) and the demo data of every
domain, inside a transaction that is rolled back afterwards.
"""

from __future__ import annotations

import email
import email.message
import io
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command


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
    path = Path(settings.VERBUND_DATA_DIR)
    if not (path / "gebiete").is_dir():
        pytest.skip(f"official data not available at {path} (set VERBUND_DATA_DIR)")
    return path


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
