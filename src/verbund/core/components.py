"""The real components Verbund uses beside Python: system programs and the official data.

One list for three readers: `make setup` (run as a plain script before the virtualenv exists,
so this module imports nothing outside the standard library at load time), the test suite
(a test that needs a missing component skips naming it; with `CI=true` that skip is a
failure, see the root conftest), and the documentation (README names the same packages).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Debian/Ubuntu packages Verbund needs beside Python; `make setup` checks them.
DEBIAN_PACKAGES = {
    "python3-venv": "Python-Virtualenv für `make install`",
    "nodejs": "Node.js für die KERN-UX-Stile",
    "npm": "npm für die KERN-UX-Stile",
    "make": "make",
    "xmlsec1": "XML-Signaturen der BundID (SAML)",
    "chromium": "Browser der Ende-zu-Ende-Tests",
    "clamav-daemon": "Virenprüfung hochgeladener Dateien (clamd)",
    "libpango-1.0-0": "PDF-Bescheide (WeasyPrint)",
    "libpangoft2-1.0-0": "PDF-Bescheide (WeasyPrint)",
    "postgresql-client": "pg_dump/psql für Sicherung und PostgreSQL",
}


def _which(*names: str) -> bool:
    return any(shutil.which(n) or Path(n).is_file() for n in names)


def _data_dir() -> Path:
    checkout = Path(__file__).resolve().parents[3]
    return Path(_setting("VERBUND_DATA_DIR", str(checkout.parent / "shared" / "data")))


def _setting(name: str, default: str) -> str:
    """A path setting: Django's value when Django is configured, else the environment."""
    try:
        from django.conf import settings

        if settings.configured:
            return str(getattr(settings, name))
    except ImportError:  # the plain-script run of `make setup`
        pass
    return os.environ.get(name, default)


# The manifest of the official data (integrations/datasets): every pinned file by path.
PINNED = Path(__file__).resolve().parents[1] / "integrations" / "datasets" / "datasets.sha256"
RULES_PREFIX = "xrechnung/"


def _pinned_paths() -> list[str]:
    lines = PINNED.read_text(encoding="utf-8").splitlines()
    return [line.split(maxsplit=1)[1] for line in lines if line and not line.startswith("#")]


@functools.cache
def _complete(directory: str, prefix: str, inside: bool) -> bool:
    """Whether every pinned file (those under `prefix`, or all others) exists below
    `directory`: a half-fetched directory counts as missing, so tests name it."""
    base = Path(directory)
    for path in _pinned_paths():
        if path.startswith(prefix) != inside:
            continue
        if not (base / (path.removeprefix(prefix) if inside else path)).is_file():
            return False
    return True


def _data_present() -> bool:
    return _complete(str(_data_dir()), RULES_PREFIX, False)


def _rules_present() -> bool:
    rules = Path(_setting("VERBUND_EINVOICE_RULES", str(_data_dir() / "xrechnung")))
    return _complete(str(rules), RULES_PREFIX, True)


def _postgresql_present() -> bool:
    import socket

    url = os.environ.get("VERBUND_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), 2):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Component:
    """A real component that tests and features use; `missing` and `remedy` are German."""

    key: str
    missing: str
    remedy: str
    present: Callable[[], bool]


COMPONENTS: dict[str, Component] = {
    c.key: c
    for c in (
        Component(
            "chromium",
            "Chromium fehlt",
            "`apt-get install chromium`",
            lambda: _which("/usr/bin/chromium", "chromium"),
        ),
        Component(
            "clamd",
            "ClamAV (clamd) fehlt",
            "`apt-get install clamav-daemon`",
            lambda: _which("clamd", "/usr/sbin/clamd"),
        ),
        Component(
            "xmlsec1", "xmlsec1 fehlt", "`apt-get install xmlsec1`", lambda: _which("xmlsec1")
        ),
        Component(
            "pg_dump",
            "pg_dump fehlt",
            "`apt-get install postgresql-client`",
            lambda: _which("pg_dump"),
        ),
        Component(
            "postgresql",
            "PostgreSQL ist nicht erreichbar",
            "`apt-get install postgresql` oder VERBUND_TEST_POSTGRES setzen",
            _postgresql_present,
        ),
        Component(
            "data",
            "Amtliche Daten fehlen (VERBUND_DATA_DIR)",
            "`verbund fetch-data`",
            _data_present,
        ),
        Component(
            "rules",
            "Prüfregeln für E-Rechnungen fehlen (VERBUND_EINVOICE_RULES)",
            "`verbund fetch-data`",
            _rules_present,
        ),
    )
}

# The mark a skip reason carries so that the test run can tell a missing component from
# any other skip: "[component:chromium] …".
TAG = "[component:{key}]"


def tag(key: str) -> str:
    return TAG.format(key=key)


def component_of(reason: str) -> Component | None:
    """The component a skip reason names, if any."""
    for key, component in COMPONENTS.items():
        if tag(key) in reason:
            return component
    return None


def missing_packages() -> list[str]:
    """Debian packages whose programs or libraries are not on this machine."""
    probes: dict[str, Callable[[], bool]] = {
        "python3-venv": lambda: _venv_available(),
        "nodejs": lambda: _which("node", "nodejs"),
        "npm": lambda: _which("npm"),
        "make": lambda: _which("make"),
        "xmlsec1": lambda: _which("xmlsec1"),
        "chromium": COMPONENTS["chromium"].present,
        "clamav-daemon": COMPONENTS["clamd"].present,
        "libpango-1.0-0": lambda: _library("libpango-1.0.so.0"),
        "libpangoft2-1.0-0": lambda: _library("libpangoft2-1.0.so.0"),
        "postgresql-client": lambda: _which("pg_dump") and _which("psql"),
    }
    return [name for name in DEBIAN_PACKAGES if not probes[name]()]


def _venv_available() -> bool:
    try:
        import ensurepip  # noqa: F401  (Debian strips it out of python3 without python3-venv)
        import venv  # noqa: F401
    except ImportError:
        return False
    return True


def _library(name: str) -> bool:
    import ctypes.util

    return ctypes.util.find_library(name.removeprefix("lib").split(".so")[0]) is not None


def install_command(packages: list[str]) -> str:
    return "sudo apt-get install -y " + " ".join(packages)


def main() -> int:
    """`make setup`: say which system packages are missing and the one command for them."""
    missing = missing_packages()
    if not missing:
        print("Systempakete: alles vorhanden.")
        return 0
    print("Es fehlen Systempakete:")
    for name in missing:
        print(f"  - {name}: {DEBIAN_PACKAGES[name]}")
    print(f"Auf Debian/Ubuntu mit einem Befehl:\n  {install_command(missing)}")
    # Only the packages without which `make setup` cannot go on stop it; the rest are features
    # (scan, browser tests, SAML) that the demo runs without and that tests name when skipped.
    required = {"python3-venv", "nodejs", "npm", "make"}
    return 1 if required & set(missing) else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--missing"]:
        # For CI: only the absent packages, one per line. Asking apt for all of them would
        # fail where Node.js comes from NodeSource (its nodejs conflicts with Debian's npm).
        print("\n".join(missing_packages()))
        sys.exit(0)
    sys.exit(main())
