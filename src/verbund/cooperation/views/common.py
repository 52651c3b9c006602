"""What the cooperation's pages share: 404 for anyone else's objects, amounts and days typed."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import Http404

from verbund.core.errors import NotFound


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
