"""What the cooperation's pages share: 404 for anyone else's objects, amounts and days typed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest

from verbund.core.errors import DomainError, NotFound


def _or_404(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _fee(raw: str) -> Decimal | None:
    """An amount as people type it: 1.234,50 or 1234,5 (German) or 1234.50."""
    raw = raw.replace("€", "").replace(" ", "").strip()
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    elif not re.fullmatch(r"\d+\.\d{1,2}", raw):
        raw = raw.replace(".", "")
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        return Decimal("-1")  # refused with the rule's message


def _days(raw: str) -> int | None:
    try:
        return int(raw.strip())
    except ValueError:
        return None


@contextmanager
def reporting_errors(request: HttpRequest) -> Iterator[None]:
    """Run a step; if the domain refuses it, show the reason on the page it returns to.
    Statements after the refused call (the success message) do not run."""
    try:
        yield
    except DomainError as exc:
        messages.error(request, exc.message)
