"""The official datasets Verbund reads, fetched into the data directory and verified.

`datasets.toml` says per dataset where it comes from (publisher, release, licence) and how a
publisher's release becomes files of the data directory; `datasets.sha256` pins every file.
`fetch()` brings the files from a mirror laid out like the data directory (a folder or an
HTTP base URL) or from the publishers, and writes a file only when its bytes match the pinned
SHA-256: a file that differs is refused by name, and nothing half-written is left behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import requests

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "datasets.toml"
HASHES = HERE / "datasets.sha256"
CHUNK = 256 * 1024
TIMEOUT = (10, 60)  # seconds to connect, seconds between bytes

Progress = Callable[..., Any]


class FetchError(Exception):
    """A source could not be reached or read (network, missing archive)."""


@dataclass(frozen=True)
class Publisher:
    kind: str  # "file" or "zip"
    url: str
    members: list[tuple[str, str]]
    strip: int = 0


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    paths: list[str]
    source: str
    version: str
    licence: str
    attribution: str
    publisher: Publisher | None
    mirror_only: str
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256

    def owns(self, path: str) -> bool:
        return any(path == p or (p.endswith("/") and path.startswith(p)) for p in self.paths)


@dataclass
class Outcome:
    """What one fetch did, per file (paths relative to the data directory)."""

    present: list[str] = field(default_factory=list)  # already there with the right bytes
    written: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    unreachable: list[tuple[str, str]] = field(default_factory=list)  # (dataset, why)

    @property
    def ok(self) -> bool:
        return not (self.refused or self.missing or self.unreachable)


def read_hashes(path: Path = HASHES) -> dict[str, str]:
    pinned: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        digest, name = line.split(maxsplit=1)
        pinned[name.strip()] = digest
    return pinned


def load_manifest(sources: Path = SOURCES, hashes: Path = HASHES) -> list[Dataset]:
    """Every dataset with the pinned files it owns."""
    with sources.open("rb") as fh:
        raw = tomllib.load(fh)
    pinned = read_hashes(hashes) if hashes.exists() else {}
    datasets = []
    for entry in raw["dataset"]:
        publisher = entry.get("publisher")
        datasets.append(
            Dataset(
                name=entry["name"],
                title=entry["title"],
                paths=list(entry["paths"]),
                source=entry["source"],
                version=entry["version"],
                licence=entry["licence"],
                attribution=entry.get("attribution", ""),
                mirror_only=entry.get("mirror_only", ""),
                publisher=Publisher(
                    kind=publisher["kind"],
                    url=publisher["url"],
                    members=[(m[0], m[1]) for m in publisher["members"]],
                    strip=int(publisher.get("strip", 0)),
                )
                if publisher
                else None,
            )
        )
    for path, digest in pinned.items():
        owner = next((d for d in datasets if d.owns(path)), None)
        if owner is None:
            raise ValueError(f"{path} in {hashes.name} belongs to no dataset of {sources.name}")
        owner.files[path] = digest
    return datasets


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(directory: Path, datasets: list[Dataset], out: Path = HASHES) -> int:
    """Pin every file below `directory` that a dataset owns (maintainers, after testing a
    new release with the whole test suite). Returns the number of files."""
    lines = [
        "# SHA-256 of every file of the data directory (verbund fetch-data --write-manifest).",
    ]
    count = 0
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if any(d.owns(relative) for d in datasets):
            lines.append(f"{sha256_file(path)}  {relative}")
            count += 1
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return count


def verify(directory: Path, datasets: list[Dataset]) -> Outcome:
    """Compare the data directory with the manifest, without changing anything."""
    outcome = Outcome()
    for dataset in datasets:
        for path, digest in sorted(dataset.files.items()):
            target = directory / path
            if not target.is_file():
                outcome.missing.append((path, "fehlt im Datenverzeichnis"))
            elif sha256_file(target) != digest:
                outcome.refused.append((path, "Inhalt weicht vom Manifest ab (SHA-256)"))
            else:
                outcome.present.append(path)
    return outcome


# --- writing ------------------------------------------------------------------------------


def _store(directory: Path, path: str, chunks: Iterable[bytes], digest: str) -> str | None:
    """Write `chunks` to `directory/path` if their SHA-256 is `digest`; the reason if not.
    The bytes go to a temporary file beside the target and are renamed into place only
    after the check, so a refused or interrupted file never stands under its name."""
    target = directory / path
    target.parent.mkdir(parents=True, exist_ok=True)
    hasher = hashlib.sha256()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as fh:
            for chunk in chunks:
                hasher.update(chunk)
                fh.write(chunk)
        if hasher.hexdigest() != digest:
            return f"SHA-256 {hasher.hexdigest()[:16]}… statt {digest[:16]}… laut Manifest"
        Path(temporary).replace(target)
        return None
    finally:
        Path(temporary).unlink(missing_ok=True)


def _wanted(directory: Path, dataset: Dataset, outcome: Outcome) -> dict[str, str]:
    """The dataset's files that are not yet present with the right bytes."""
    wanted = {}
    for path, digest in sorted(dataset.files.items()):
        target = directory / path
        if target.is_file() and sha256_file(target) == digest:
            outcome.present.append(path)
        else:
            wanted[path] = digest
    return wanted


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def fetch_from_mirror(
    *,
    source: str,
    directory: Path,
    datasets: list[Dataset],
    progress: Progress | None = None,
    session: requests.Session | None = None,
) -> Outcome:
    """Copy every pinned file from a mirror laid out like the data directory: a folder, or a
    base URL under which each file is at its relative path."""
    outcome = Outcome()
    http = session or requests.Session()
    for dataset in datasets:
        wanted = _wanted(directory, dataset, outcome)
        if not wanted:
            continue
        bar = _bar(progress, total=len(wanted), unit="Datei", desc=dataset.name)
        for path, digest in wanted.items():
            try:
                chunks = (
                    _http_chunks(http, f"{source.rstrip('/')}/{quote(path)}")
                    if _is_url(source)
                    else _file_chunks(Path(source) / path)
                )
                reason = _store(directory, path, chunks, digest)
            except FileNotFoundError:
                outcome.missing.append((path, f"nicht in {source}"))
            except FetchError as exc:
                outcome.missing.append((path, str(exc)))
            else:
                if reason is None:
                    outcome.written.append(path)
                else:
                    outcome.refused.append((path, reason))
            bar.update(1)
        bar.close()
    return outcome


def fetch_from_publishers(
    *,
    directory: Path,
    datasets: list[Dataset],
    cache: Path,
    progress: Progress | None = None,
    session: requests.Session | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> Outcome:
    """Download each dataset's pinned release from its publisher, unpack the members the
    manifest names, and keep what matches the pinned bytes."""
    outcome = Outcome()
    http = session or requests.Session()
    for dataset in datasets:
        wanted = _wanted(directory, dataset, outcome)
        if not wanted:
            continue
        if dataset.publisher is None:
            outcome.unreachable.append(
                (dataset.name, f"nur über einen Spiegel (--from): {dataset.mirror_only}")
            )
            continue
        publisher = dataset.publisher
        say(f"{dataset.name}: {dataset.title}, {dataset.version} von {publisher.url}")
        try:
            download = _download(http, publisher.url, cache, progress, dataset.name)
        except FetchError as exc:
            outcome.unreachable.append((dataset.name, str(exc)))
            continue
        members = dict(_publisher_members(publisher, download))
        for path, digest in wanted.items():
            data = members.get(path)
            if data is None:
                outcome.missing.append((path, f"nicht in {publisher.url}"))
                continue
            reason = _store(directory, path, [data], digest)
            if reason is None:
                outcome.written.append(path)
            else:
                outcome.refused.append((path, reason))
    return outcome


def _publisher_members(publisher: Publisher, download: Path) -> Iterator[tuple[str, bytes]]:
    """(target path, bytes) for each file of the release that the mapping names."""
    if publisher.kind == "file":
        yield publisher.members[0][1], download.read_bytes()
        return
    with zipfile.ZipFile(download) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            parts = info.filename.split("/")[publisher.strip :]
            name = "/".join(parts)
            for member, target in publisher.members:
                if name == member or (member.endswith("/") and name.startswith(member)):
                    yield target + name[len(member) :], archive.read(info)


def _download(
    http: requests.Session, url: str, cache: Path, progress: Progress | None, name: str
) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / (hashlib.sha256(url.encode()).hexdigest()[:16] + "-" + name)
    if target.exists():
        return target
    partial = target.with_suffix(".part")
    try:
        with http.get(url, stream=True, timeout=TIMEOUT) as response:
            if response.status_code != 200:
                raise FetchError(f"{url}: HTTP {response.status_code}")
            total = int(response.headers.get("Content-Length") or 0) or None
            bar = _bar(progress, total=total, unit="B", unit_scale=True, desc=name)
            with partial.open("wb") as fh:
                for chunk in response.iter_content(CHUNK):
                    fh.write(chunk)
                    bar.update(len(chunk))
            bar.close()
    except requests.RequestException as exc:
        partial.unlink(missing_ok=True)
        raise FetchError(f"{url} nicht erreichbar ({exc.__class__.__name__})") from exc
    partial.replace(target)
    return target


def _http_chunks(http: requests.Session, url: str) -> Iterator[bytes]:
    try:
        response = http.get(url, stream=True, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise FetchError(f"{url} nicht erreichbar ({exc.__class__.__name__})") from exc
    with response:
        if response.status_code == 404:
            raise FileNotFoundError(url)
        if response.status_code != 200:
            raise FetchError(f"{url}: HTTP {response.status_code}")
        yield from response.iter_content(CHUNK)


def _file_chunks(path: Path) -> Iterator[bytes]:
    fh: BinaryIO
    with path.open("rb") as fh:
        yield from iter(lambda: fh.read(CHUNK), b"")


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(progress: Progress | None, **options: Any) -> Any:
    return progress(**options) if progress is not None else _NoBar()


__all__ = [
    "Dataset",
    "FetchError",
    "Outcome",
    "fetch_from_mirror",
    "fetch_from_publishers",
    "load_manifest",
    "verify",
    "write_manifest",
]
