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
from verbund.authorities.types import Authority
from verbund.catalogue.types import Service

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


# The rate limit on guessing a Vorgangsnummer and access code (the status lookup) is the
# anonymous Postfach's, kept by mailbox, which registers it here (decision 0023).
AccessBlocked = Callable[[str, str | None], bool]
AccessFailed = Callable[[str, str | None], None]

_access_throttle: list[tuple[AccessBlocked, AccessFailed]] = []


def register_access_throttle(*, blocked: AccessBlocked, record_failure: AccessFailed) -> None:
    _access_throttle[:] = [(blocked, record_failure)]


def access_blocked(*, vorgangsnummer: str, ip_address: str | None) -> bool:
    """Whether this client has guessed too often (for this number, or at all)."""
    return any(blocked(vorgangsnummer, ip_address) for blocked, _failed in _access_throttle)


def record_access_failure(*, vorgangsnummer: str, ip_address: str | None) -> None:
    for _blocked, failed in _access_throttle:
        failed(vorgangsnummer, ip_address)


# The Postfach (mailbox) delivers the receipt: the PDF into an account holder's Postfach at
# once, and an anonymous applicant's e-mail address for the Postfach's notices.
ReceiptToPostfach = Callable[..., object]
NotificationAddress = Callable[..., None]

_receipt_delivery: list[tuple[ReceiptToPostfach, NotificationAddress]] = []


def register_receipt_delivery(
    *, to_postfach: ReceiptToPostfach, notification_address: NotificationAddress
) -> None:
    _receipt_delivery[:] = [(to_postfach, notification_address)]


def deliver_receipt_to_postfach(
    *, submission: Submission, subject: str, body: str, filename: str, pdf: bytes
) -> None:
    """Put the receipt (with its PDF) into the applicant's Postfach, without a mail notice."""
    for to_postfach, _address in _receipt_delivery:
        to_postfach(submission=submission, subject=subject, body=body, filename=filename, pdf=pdf)


def set_notification_address(*, submission: Submission, email: str) -> None:
    """The address of an applicant without an account, for the Postfach's notices."""
    for _to_postfach, address in _receipt_delivery:
        address(submission=submission, email=email)
