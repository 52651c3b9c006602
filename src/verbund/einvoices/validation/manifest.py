"""Pinned SHA-256 sums of the rule files Verbund was tested with (`rules.sha256`).

The manifest holds sums and relative paths only, no rule content. It covers the files the
engine reads: `scenarios.xml`, `xsd/**/*.xsd` and `schematron/**/*.sch` (without the optional
Peppol BIS 3 files, which are reported as additional files).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = Path(__file__).with_name("rules.sha256")


def rule_files(directory: Path) -> list[str]:
    """The relative paths (POSIX) of the rule files in `directory`."""
    found: list[Path] = []
    if (directory / "scenarios.xml").is_file():
        found.append(directory / "scenarios.xml")
    found += (directory / "xsd").rglob("*.xsd") if (directory / "xsd").is_dir() else []
    if (directory / "schematron").is_dir():
        found += (directory / "schematron").rglob("*.sch")
    return sorted(p.relative_to(directory).as_posix() for p in found)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(path: Path = MANIFEST) -> dict[str, str]:
    pinned = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, _, name = line.partition("  ")
            pinned[name.strip()] = digest.strip()
    return pinned


def write_manifest(directory: Path, path: Path = MANIFEST) -> int:
    names = [n for n in rule_files(directory) if not n.startswith("schematron/peppol/")]
    lines = [
        "# SHA-256 of the e-invoice rule files Verbund is tested with "
        "(verbund check-einvoice-rules --write).",
        *(f"{sha256(directory / n)}  {n}" for n in names),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(names)


@dataclass
class Check:
    ok: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    additional: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.missing and not self.changed


def check(directory: Path, pinned: dict[str, str] | None = None) -> Check:
    pinned = read_manifest() if pinned is None else pinned
    result = Check()
    for name, digest in sorted(pinned.items()):
        path = directory / name
        if not path.is_file():
            result.missing.append(name)
        elif sha256(path) != digest:
            result.changed.append(name)
        else:
            result.ok.append(name)
    result.additional = [n for n in rule_files(directory) if n not in pinned]
    return result
