"""Every setting comes from the environment, with a default and a help text.

The registry below is the single source of `docs/configuration.md` (written by
`verbund settings-docs`), so the documentation cannot drift from the code.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class EnvSetting:
    name: str
    default: str
    help: str
    group: str


REGISTRY: dict[str, EnvSetting] = {}


def _register(name: str, default: Any, help: str, group: str) -> str | None:
    shown = "" if default is None else str(default)
    if isinstance(default, bool):
        shown = "true" if default else "false"
    elif isinstance(default, list | tuple):
        shown = ",".join(str(v) for v in default)
    REGISTRY[name] = EnvSetting(name=name, default=shown, help=help, group=group)
    return os.environ.get(name)


def env_str(
    name: str, default: str, help: str, group: str = "Allgemein", doc_default: str | None = None
) -> str:
    """A string setting; `doc_default` names a default that depends on the machine."""
    raw = _register(name, default if doc_default is None else doc_default, help, group)
    return default if raw is None else raw


def env_optional(name: str, help: str, group: str = "Allgemein") -> str | None:
    raw = _register(name, None, help, group)
    return raw or None


def env_bool(name: str, default: bool, help: str, group: str = "Allgemein") -> bool:
    raw = _register(name, default, help, group)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on", "ja"}:
        return True
    if value in {"0", "false", "no", "off", "nein", ""}:
        return False
    raise ValueError(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int, help: str, group: str = "Allgemein") -> int:
    raw = _register(name, default, help, group)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a whole number") from exc


def env_list(name: str, default: list[str], help: str, group: str = "Allgemein") -> list[str]:
    raw = _register(name, default, help, group)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_parsed(
    name: str, default: str, help: str, parse: Callable[[str], T], group: str = "Allgemein"
) -> T:
    raw = _register(name, default, help, group)
    return parse(default if raw is None else raw)
