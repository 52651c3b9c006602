"""A skip because a real component is missing is counted in one German line at the end of
the run, and is a failure when CI is set (the root conftest's hooks, run in a real pytest)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from verbund.core import components

ROOT = Path(settings.BASE_DIR)
TEST = """
from verbund.core.testing import data_params, needs
import pytest

def test_needs_the_data():
    needs("data")

@pytest.mark.parametrize("path", data_params([], "rules"))
def test_per_file(path):
    pass

def test_passes():
    pass
"""


def run_pytest(tmp_path: Path, *, ci: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_probe.py").write_text(TEST)
    env = {
        **os.environ,
        "VERBUND_DATA_DIR": str(tmp_path / "no-data"),
        "VERBUND_EINVOICE_RULES": str(tmp_path / "no-rules"),
        "VERBUND_STATE_DIR": str(tmp_path / "state"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "CI": "true" if ci else "",
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "conftest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--ds",
            "verbund.settings.test",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_outside_ci_missing_components_skip_with_one_line_each(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, ci=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert (
        "1 Test übersprungen: Amtliche Daten fehlen (VERBUND_DATA_DIR) — `verbund fetch-data`"
        in lines
    )
    assert any(
        line.startswith("1 Test übersprungen: Prüfregeln für E-Rechnungen fehlen") for line in lines
    )
    assert "got empty parameter set" not in result.stdout


def test_in_ci_a_missing_component_fails_the_run_and_is_named(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, ci=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert (
        "CI=true: kein Test darf übersprungen werden, weil etwas fehlt. Amtliche Daten fehlen"
        in result.stdout
    )
    assert "1 Test gescheitert (CI): Prüfregeln für E-Rechnungen fehlen" in result.stdout


def test_make_setup_names_missing_packages_and_the_one_command(monkeypatch) -> None:
    monkeypatch.setattr(components, "_which", lambda *names: "xmlsec1" not in names)
    assert "xmlsec1" in components.missing_packages()
    assert components.install_command(["xmlsec1", "chromium"]) == (
        "sudo apt-get install -y xmlsec1 chromium"
    )
