"""`verbund fetch-data` against a real HTTP server on loopback that serves the data directory
(read from VERBUND_DATA_DIR, never copied), with one file corrupted and one missing, and
against publisher-shaped archives built in the test from the same files."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from verbund.core.testing import needs
from verbund.integrations import datasets

CORRUPTED = "leika/ozg_lebenslagen.csv"
MISSING = "xrechnung/testsuite/business-cases/standard/01.01a-INVOICE_ubl.xml"


class Mirror:
    """An HTTP server serving files by path; `override` replaces a path's bytes (None: 404)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.override: dict[str, bytes | None] = {}
        self.requests: list[str] = []
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = unquote(self.path.lstrip("/"))
                mirror.requests.append(path)
                if path in mirror.override:
                    body = mirror.override[path]
                else:
                    file = (mirror.root / path).resolve()
                    inside = file.is_relative_to(mirror.root.resolve())
                    body = file.read_bytes() if inside and file.is_file() else None
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def data_dir() -> Path:
    needs("data", "rules")
    return Path(settings.VERBUND_DATA_DIR)


@pytest.fixture
def mirror(data_dir: Path) -> Iterator[Mirror]:
    server = Mirror(data_dir)
    try:
        yield server
    finally:
        server.close()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_manifest_pins_every_file_of_the_data_directory(data_dir: Path) -> None:
    manifest = datasets.load_manifest()
    pinned = {p for d in manifest for p in d.files}
    on_disk = {p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*") if p.is_file()}
    assert pinned == on_disk, (
        "the data directory and the manifest differ: after testing new data, "
        "`verbund fetch-data --write-manifest DIR` pins it",
        sorted(pinned ^ on_disk)[:20],
    )
    for dataset in manifest:
        assert dataset.source and dataset.version and dataset.licence, dataset.name
        assert dataset.publisher or dataset.mirror_only, dataset.name
    assert datasets.verify(data_dir, manifest).ok


def test_fetch_from_a_mirror_url_refuses_the_corrupted_file_and_names_the_missing_one(
    mirror: Mirror, data_dir: Path, tmp_path: Path
) -> None:
    # given: a mirror of the data directory whose copy of one file has other bytes, and
    # which lacks another file
    good = (data_dir / CORRUPTED).read_bytes()
    mirror.override[CORRUPTED] = good.replace(b"Familie", b"Famille", 1)
    mirror.override[MISSING] = None
    target = tmp_path / "data"
    err = io.StringIO()

    # when
    with pytest.raises(CommandError) as failed:
        call_command(
            "fetch-data", "--from", mirror.url, "--dest", str(target), verbosity=0, stderr=err
        )

    # then: the run fails and names both files; the corrupted one is not written (not even
    # under a temporary name), every other file is there with the publisher's bytes
    report = err.getvalue()
    assert f"ABGELEHNT {CORRUPTED}: SHA-256" in report
    assert f"FEHLT     {MISSING}" in report
    assert "1 abgelehnt, 1 fehlen" in str(failed.value)
    assert not (target / CORRUPTED).exists() and not (target / MISSING).exists()
    assert not list((target / "leika").glob(".*"))
    manifest = datasets.load_manifest()
    outcome = datasets.verify(target, manifest)
    assert sorted(p for p, _ in outcome.missing) == sorted([CORRUPTED, MISSING])
    assert not outcome.refused and len(outcome.present) == 862
    sample = "gebiete/GV100AD_301123.txt"
    assert (target / sample).read_bytes() == (data_dir / sample).read_bytes()

    # when: the mirror is repaired and the command runs again
    mirror.override.clear()
    mirror.requests.clear()
    call_command("fetch-data", "--from", mirror.url, "--dest", str(target), verbosity=0)

    # then: only the two files are fetched; the directory matches the manifest
    assert sorted(mirror.requests) == sorted([CORRUPTED, MISSING])
    assert datasets.verify(target, manifest).ok


def test_fetch_from_a_mirror_folder_and_verify_names_a_changed_file(
    data_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "data"
    call_command(
        "fetch-data",
        "--from",
        str(data_dir),
        "--dest",
        str(target),
        "--only",
        "leika,plz",
        verbosity=0,
    )
    assert (target / "gebiete/zuordnung_plz_ort.csv").read_bytes() == (
        data_dir / "gebiete/zuordnung_plz_ort.csv"
    ).read_bytes()
    # a file changed on disk afterwards is found by --verify
    (target / CORRUPTED).write_bytes(b"Themenfeld;Lebenslage\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("fetch-data", "--verify", "--dest", str(target), "--only", "leika", stderr=err)
    assert f"ABGELEHNT {CORRUPTED}" in err.getvalue()


def test_publisher_archives_are_unpacked_to_the_pinned_files(
    mirror: Mirror, data_dir: Path, tmp_path: Path
) -> None:
    """The publisher's form, built here from the data directory: GV100AD as a Destatis-style
    ZIP, the UBL schemas inside the OASIS release layout with a leading folder and files
    Verbund does not pin."""
    gv100ad = (data_dir / "gebiete/GV100AD_301123.txt").read_text(encoding="utf-8")
    mirror.override["destatis/GV100AD3011.zip"] = zip_of({"GV100AD_301123.txt": gv100ad.encode()})
    ubl = data_dir / "xrechnung/xsd/ubl-2.1"
    ubl_files = {
        f"UBL-2.1/xsd/{path.relative_to(ubl).as_posix()}": path.read_bytes()
        for path in ubl.rglob("*")
        if path.is_file()
    }
    ubl_files["UBL-2.1/xsd/maindoc/UBL-Order-2.1.xsd"] = b"<not-pinned/>"
    mirror.override["oasis/UBL-2.1.zip"] = zip_of(ubl_files)
    manifest = {d.name: d for d in datasets.load_manifest()}
    chosen = [
        with_url(manifest["gv100ad"], f"{mirror.url}/destatis/GV100AD3011.zip", strip=0),
        with_url(manifest["ubl"], f"{mirror.url}/oasis/UBL-2.1.zip", strip=1),
        manifest["boundaries"],  # no byte-stable publisher download: named, not guessed
    ]
    target = tmp_path / "data"

    outcome = datasets.fetch_from_publishers(
        directory=target, datasets=chosen, cache=tmp_path / "cache"
    )

    assert sorted(outcome.written) == sorted([*manifest["gv100ad"].files, *manifest["ubl"].files])
    assert [name for name, _ in outcome.unreachable] == ["boundaries"]
    assert not outcome.refused and not outcome.missing
    assert (target / "gebiete/GV100AD_301123.txt").read_text(encoding="utf-8") == gv100ad
    assert not (target / "xrechnung/xsd/ubl-2.1/maindoc/UBL-Order-2.1.xsd").exists()

    # a publisher that now serves other bytes is refused file by file
    mirror.override["destatis/GV100AD3011.zip"] = zip_of(
        {"GV100AD_301123.txt": gv100ad.replace("Erfurt", "Erffurt").encode()}
    )
    again = datasets.fetch_from_publishers(
        directory=tmp_path / "other", datasets=chosen[:1], cache=tmp_path / "cache2"
    )
    assert [path for path, _ in again.refused] == ["gebiete/GV100AD_301123.txt"]
    assert not (tmp_path / "other/gebiete/GV100AD_301123.txt").exists()


def test_offline_demo_explains_what_is_missing_in_one_paragraph(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command(
        "fetch-data",
        "--demo",
        "--from",
        str(tmp_path / "nowhere"),
        "--dest",
        str(tmp_path / "data"),
        verbosity=0,
        stdout=out,
    )
    text = out.getvalue()
    assert "Gemeindegrenzen" in text and "503" in text
    assert "`.venv/bin/verbund fetch-data`" in text
    paragraph = text.strip().splitlines()[-1]
    assert paragraph.startswith("Die amtlichen Daten fehlen")


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_url(dataset: datasets.Dataset, url: str, *, strip: int) -> datasets.Dataset:
    assert dataset.publisher is not None
    return dataclasses.replace(
        dataset, publisher=dataclasses.replace(dataset.publisher, url=url, strip=strip)
    )
