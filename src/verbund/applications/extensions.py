"""Hooks for the domains that build on applications (the back office registers here).

    from verbund.applications.extensions import on_released
    on_released(open_case)   # in AppConfig.ready()

`on_released(callback)`: called inside the transaction that releases a submission to its
authority, as `callback(submission=..., document=...)`; `document` is the plain form
document when the platform saw it (web form), else None (end-to-end encrypted API).

`register_online_gate(gate)`: a domain that rolls online services out per authority (the
cooperation) answers `gate(service, authority)` with None (no say over the service), True
(offered there) or False (not offered there); with `authority=None` it answers None or
False ("depends on the place")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from verbund.applications.models import Submission
from verbund.authorities.models import Authority
from verbund.catalogue.models import Service

ReleaseCallback = Callable[..., None]

_released: list[ReleaseCallback] = []


def on_released(callback: ReleaseCallback) -> None:
    if callback not in _released:
        _released.append(callback)


def notify_released(submission: Submission, document: dict[str, Any] | None = None) -> None:
    for callback in _released:
        callback(submission=submission, document=document)


OnlineGate = Callable[[Service, Authority | None], bool | None]

_gates: list[OnlineGate] = []


def register_online_gate(gate: OnlineGate) -> None:
    if gate not in _gates:
        _gates.append(gate)


def online_offered(service: Service, authority: Authority | None) -> bool:
    """Whether the service's online form may be used where `authority` is responsible."""
    return all(gate(service, authority) is not False for gate in _gates)


def online_depends_on_place(service: Service) -> bool:
    return any(gate(service, None) is not None for gate in _gates)
