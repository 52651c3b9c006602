"""What `verbund serve` loads once before it forks its workers, so that no worker pays for
it on its first request: the domains register a function here in `AppConfig.ready` (which
costs nothing), and only the server calls them (tests and commands never load them)."""

from __future__ import annotations

from collections.abc import Callable

_warmups: list[Callable[[], None]] = []


def register(warmup: Callable[[], None]) -> None:
    if warmup not in _warmups:
        _warmups.append(warmup)


def run() -> None:
    for warmup in _warmups:
        warmup()
