"""Extension points of the Postfach for the domains above it (casework).

Casework registers, once in its AppConfig.ready(), what happens when an applicant replies:

    from verbund.mailbox.extensions import on_reply
    on_reply(move_case_on_after_rueckfrage)

The callback runs inside the transaction of `actions.reply_to_message`, after the reply is
stored: it may change the case, and an exception rolls the reply back. No Django signals:
the call is explicit and visible here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from verbund.mailbox.models import Reply

ReplyCallback = Callable[["Reply"], None]

_REPLY_CALLBACKS: list[ReplyCallback] = []


def on_reply(callback: ReplyCallback) -> ReplyCallback:
    """Register `callback(reply)`; registering the same function twice has no effect.
    Returns the callback, so it can be used as a decorator."""
    if callback not in _REPLY_CALLBACKS:
        _REPLY_CALLBACKS.append(callback)
    return callback


def remove_reply_callback(callback: ReplyCallback) -> None:
    if callback in _REPLY_CALLBACKS:
        _REPLY_CALLBACKS.remove(callback)


def run_reply_callbacks(reply: Reply) -> None:
    for callback in list(_REPLY_CALLBACKS):
        callback(reply)
