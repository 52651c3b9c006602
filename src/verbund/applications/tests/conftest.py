"""Fixtures of the applications tests: real RSA-4096 keys (a small pool, generated once per
session, so that every test authority does not cost a key generation), attachments in a
temporary storage, and a real clamd with a harmless custom test signature."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from verbund.authorities import keys
from verbund.core.testing import needs
from verbund.integrations import clamd

TEST_SIGNATURE = b"VERBUND-HARMLESS-TEST-SIGNATURE-7F3C"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

_POOL: list[tuple[dict, dict]] = []


@pytest.fixture(autouse=True)
def _key_pool(monkeypatch):
    counter = {"n": 0}

    def pooled(bits: int = keys.KEY_BITS):
        if len(_POOL) < 3:
            _POOL.append(_real_generate(bits))
        pair = _POOL[counter["n"] % len(_POOL)]
        counter["n"] += 1
        return dict(pair[0]), dict(pair[1])

    monkeypatch.setattr(keys, "generate_key_pair", pooled)


_real_generate = keys.generate_key_pair


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test builds its own directory data; process caches must not carry answers over."""
    from verbund.applications import queries

    queries.clear_caches()
    yield
    queries.clear_caches()


@pytest.fixture(autouse=True)
def _attachment_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    settings.VERBUND_CLAMD = ""


@pytest.fixture(scope="session")
def clamd_address(tmp_path_factory):
    """A real clamd whose database holds only our harmless test signature (no download)."""
    needs("clamd")
    binary = shutil.which("clamd") or "/usr/sbin/clamd"
    base = tmp_path_factory.mktemp("clamd")
    (base / "db").mkdir()
    (base / "db" / "verbund-test.ndb").write_text(
        f"Verbund.Test.Signature-1:0:*:{TEST_SIGNATURE.hex()}\n"
    )
    socket_path = base / "clamd.sock"
    (base / "clamd.conf").write_text(
        f"LocalSocket {socket_path}\nDatabaseDirectory {base / 'db'}\nForeground yes\n"
        f"LogFile {base / 'clamd.log'}\nTemporaryDirectory {base}\n"
    )
    process = subprocess.Popen(
        [binary, "-c", str(base / "clamd.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"unix://{socket_path}"
    deadline = time.monotonic() + 60
    while not clamd.ping(address):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"clamd did not start: {(base / 'clamd.log').read_text()[-2000:]}")
        time.sleep(0.2)
    yield address
    process.terminate()
    process.wait(timeout=10)
