"""`verbund check-einvoice-rules`: the rule directory against the pinned SHA-256 sums."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from verbund.core.testing import needs
from verbund.einvoices.validation import manifest

RULES = Path(settings.VERBUND_EINVOICE_RULES)


@pytest.fixture
def rules() -> Path:
    needs("rules")
    return RULES


def test_the_shared_rule_directory_matches_the_manifest(rules: Path) -> None:
    out = io.StringIO()
    call_command("check-einvoice-rules", str(rules), stdout=out)
    pinned = manifest.read_manifest()
    assert "scenarios.xml" in pinned and len(pinned) > 50
    assert f"{len(pinned)} Dateien unverändert, 0 fehlen, 0 geändert" in out.getvalue()


def test_missing_changed_and_additional_files_are_reported(rules: Path, tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    copy.mkdir()
    for name in manifest.read_manifest():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rules / name, copy / name)
    (copy / "scenarios.xml").write_bytes((rules / "scenarios.xml").read_bytes() + b"\n")
    (copy / "xsd/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd").unlink()
    (copy / "schematron/peppol").mkdir()
    (copy / "schematron/peppol/PEPPOL-EN16931-UBL.sch").write_text("<schema/>")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check-einvoice-rules", str(copy), stdout=out)
    text = out.getvalue()
    assert "GEÄNDERT  scenarios.xml" in text
    assert "FEHLT     xsd/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd" in text
    assert "ZUSÄTZLICH schematron/peppol/PEPPOL-EN16931-UBL.sch" in text


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command("check-einvoice-rules", str(tmp_path / "nowhere"), stdout=io.StringIO())
