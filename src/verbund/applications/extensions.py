"""Hooks for the domains that build on applications (the back office registers here).

    from verbund.applications.extensions import on_released
    on_released(open_case)   # in AppConfig.ready()

`on_released(callback)`: called inside the transaction that releases a submission to its
authority, as `callback(submission=..., document=...)`; `document` is the plain form
document when the platform saw it (web form), else None (end-to-end encrypted API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from verbund.applications.models import Submission

ReleaseCallback = Callable[..., None]

_released: list[ReleaseCallback] = []


def on_released(callback: ReleaseCallback) -> None:
    if callback not in _released:
        _released.append(callback)


def notify_released(submission: Submission, document: dict[str, Any] | None = None) -> None:
    for callback in _released:
        callback(submission=submission, document=document)
