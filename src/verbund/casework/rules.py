"""The workflow and the pure rules of the back office: which transitions are allowed (the
one place that decides it), deadlines, and the blind index of applicant names."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from verbund.applications.types import Submission

Status = Submission.Status

# The workflow (issue 5): eingegangen → in Bearbeitung → Rückfrage → (answered) in Bearbeitung
# → entschieden → abgeschlossen; weitergeleitet and abgelehnt on the way.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.IN_PROGRESS, Status.FORWARDED, Status.REJECTED}),
    # A forwarded case arrives at the new authority like a new one.
    Status.FORWARDED: frozenset({Status.IN_PROGRESS, Status.FORWARDED, Status.REJECTED}),
    Status.IN_PROGRESS: frozenset(
        {Status.INFORMATION_NEEDED, Status.DECIDED, Status.FORWARDED, Status.REJECTED}
    ),
    Status.INFORMATION_NEEDED: frozenset({Status.IN_PROGRESS, Status.REJECTED}),
    Status.DECIDED: frozenset({Status.CLOSED}),
    Status.REJECTED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

# States in which the case waits for the authority (the inbox's default view).
OPEN = (Status.RECEIVED, Status.FORWARDED, Status.IN_PROGRESS, Status.INFORMATION_NEEDED)
# States of a case in the back office at all (before release it belongs to applications).
BACK_OFFICE = (*OPEN, Status.DECIDED, Status.REJECTED, Status.CLOSED)


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def next_states(current: str) -> list[str]:
    return [s for s in BACK_OFFICE if s in TRANSITIONS.get(current, frozenset())]


def deadline_for(received: datetime.date, processing_days: int) -> datetime.date:
    """Processing-time target: the day of receipt plus the service's target days."""
    return received + datetime.timedelta(days=processing_days)


def is_overdue(deadline: datetime.date, status: str, today: datetime.date) -> bool:
    return status in OPEN and deadline < today


def purge_date(closed: datetime.date, retention_days: int) -> datetime.date:
    return closed + datetime.timedelta(days=retention_days)


# --- blind index of names -------------------------------------------------------------------

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NAME_KEYS = re.compile(
    r"(^|_)(familienname|nachname|vorname|vornamen|geburtsname|name|firma|firmenname)$"
)


def name_tokens(text: str) -> set[str]:
    """Normalised name tokens: case-folded, umlauts spelled out (Müller = Mueller), other
    accents dropped; tokens shorter than two letters are ignored."""
    folded = text.casefold().translate(_FOLD)
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)
    )
    return {t for t in re.split(r"[^a-z0-9]+", plain) if len(t) >= 2}


def applicant_names(data: Any) -> list[str]:
    """The name fields of a form's data (any depth): family, given and company names."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and _NAME_KEYS.search(str(key).lower()):
                found.append(value)
            elif isinstance(value, dict | list):
                found.extend(applicant_names(value))
    elif isinstance(data, list):
        for item in data:
            found.extend(applicant_names(item))
    return found


def blind_tokens(names: Iterable[str], *, key: bytes, scope: str) -> set[str]:
    """HMAC-SHA256 (truncated to 128 bits) of each token, keyed and scoped to the authority,
    so equal names give unrelated values at different authorities."""
    tokens: set[str] = set()
    for name in names:
        for token in name_tokens(name):
            digest = hmac.new(key, f"{scope}:{token}".encode(), hashlib.sha256).hexdigest()
            tokens.add(digest[:32])
    return tokens


# --- input from the query string -----------------------------------------------------------

_USER_ID = re.compile(r"^[0-9]{1,18}$", re.ASCII)


def parse_user_id(raw: str) -> int | None:
    """A user id as a form or a URL sends it: 1–18 ASCII digits (fits a 64-bit column);
    None for anything else ("²" is a digit to `str.isdigit`, not to the database)."""
    return int(raw) if _USER_ID.match(raw) else None


# --- webhook signature ----------------------------------------------------------------------


def sign_webhook(body: bytes, secret: str, timestamp: str) -> str:
    """`sha256=<hex>` over "<timestamp>.<body>": the receiver checks both, against replay."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
