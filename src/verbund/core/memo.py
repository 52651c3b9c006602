"""Answers to rarely changing questions, kept briefly per process (decision 0034).

The submission API asks for every submission which form version of a service is published,
whether the rollout lets the responsible authority take it online, the service's processing
time and whether the authority has a specialist system to notify. These change a few times
a year; each process keeps an answer for `VERBUND_SUBMISSION_CACHE_SECONDS` (0: ask every
time), so another process's change shows after at most that long.

A memo whose question is also asked by public pages (the cooperation's online gate) is
`scoped`: it keeps answers only inside `keeping()`, which the submission API opens. A page
rendered for the anonymous page cache is stored under the generation token read before it
(decision 0031), so an answer older than that token must never go into it."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")

_memos: list[Memo[object]] = []
_other: list[Callable[[], None]] = []
_keeping: ContextVar[bool] = ContextVar("verbund_memo_keeping", default=False)


@contextmanager
def keeping() -> Iterator[None]:
    """Let scoped memos keep and reuse answers inside this block (the submission API)."""
    reset = _keeping.set(True)
    try:
        yield
    finally:
        _keeping.reset(reset)


class Memo(Generic[T]):
    """A per-process map from a key to an answer and the time it was computed."""

    def __init__(self, max_entries: int = 4096, *, scoped: bool = False) -> None:
        self._answers: dict[Hashable, tuple[float, T]] = {}
        self._max = max_entries
        self._scoped = scoped
        _memos.append(self)  # type: ignore[arg-type]

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        seconds = settings.VERBUND_SUBMISSION_CACHE_SECONDS
        if seconds <= 0 or (self._scoped and not _keeping.get()):
            return compute()
        now = time.monotonic()
        hit = self._answers.get(key)
        if hit is not None and now - hit[0] < seconds:
            return hit[1]
        answer = compute()
        if len(self._answers) >= self._max:
            self._answers.clear()
        self._answers[key] = (now, answer)
        return answer

    def forget(self, key: Hashable) -> None:
        self._answers.pop(key, None)

    def clear(self) -> None:
        self._answers.clear()


def on_clear(forget: Callable[[], None]) -> None:
    """Have `clear_all` call `forget` too (for per-process state kept in another shape)."""
    if forget not in _other:
        _other.append(forget)


def clear_all() -> None:
    """Forget every kept answer (tests roll back what they wrote)."""
    for memo in _memos:
        memo.clear()
    for forget in _other:
        forget()
