"""What a submission receives: its Vorgangsnummer (drawn again on a collision), the
applicant's access code and the receipt the web page and the API show."""

from __future__ import annotations

import contextlib
import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.applications.models import (
    Submission,
)
from verbund.core.errors import Conflict
from verbund.core.prepared import PreparedUpdate

# Crockford's base32 without I, L, O, U: easy to read aloud and to type from a letter.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_vorgangsnummer(now: datetime.datetime | None = None) -> str:
    year = (now or timezone.now()).year
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"VB-{year}-{code[:4]}-{code[4:]}"


def new_secret() -> str:
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Receipt:
    submission: Submission
    secret: str  # the applicant's access code for the status page; shown once
    payment_url: str = ""
    response: dict[str, Any] | None = None  # the API's first answer, for a retried completion


def save_with_number(
    submission: Submission,
    update_fields: list[str] | None = None,
    *,
    prepare: Callable[[], None] | None = None,
) -> None:
    """Save with a fresh Vorgangsnummer, drawing again on the (rare) collision. `prepare`
    runs after each draw, before the save, for columns that name the number."""
    for _attempt in range(5):
        submission.vorgangsnummer = new_vorgangsnummer()
        if prepare is not None:
            prepare()
        if update_fields is not None:
            if _update_unless_taken(submission, [*update_fields, "vorgangsnummer", "updated_at"]):
                return
            continue
        try:
            with _statement_scope():
                if update_fields is None:
                    submission.save()
                else:
                    submission.save(update_fields=[*update_fields, "vorgangsnummer", "updated_at"])
            return
        except IntegrityError:
            if Submission.objects.filter(vorgangsnummer=submission.vorgangsnummer).exists():
                continue
            raise
    raise Conflict(_("Bitte erneut absenden."), code="vorgangsnummer_collision")


def _update_unless_taken(submission: Submission, fields: list[str]) -> bool:
    """Save the fields unless another submission has the drawn number, in one UPDATE with
    NOT EXISTS: a collision needs no savepoint to survive on PostgreSQL. (Two transactions
    drawing the same number at the same moment would still meet the unique index.) The
    UPDATE is compiled once per process and list of fields (core.prepared)."""
    submission.updated_at = timezone.now()
    statement = _updates.get(tuple(fields))
    if statement is None:
        statement = _updates[tuple(fields)] = PreparedUpdate(
            _unless_taken, params=[_NUMBER, Submission._meta.pk], fields=fields
        )
    values = {name: getattr(submission, name) for name in fields}
    return bool(statement.update(values, submission.vorgangsnummer, submission.pk))


def _unless_taken(number: str, pk: Any) -> Any:
    taken = Submission.objects.filter(vorgangsnummer=number)
    return Submission.objects.filter(~Exists(taken), pk=pk)


_NUMBER = Submission._meta.get_field("vorgangsnummer")
_updates: dict[tuple[str, ...], PreparedUpdate[Submission]] = {}


def _statement_scope() -> Any:
    """A savepoint where a failed statement spoils the transaction (PostgreSQL); SQLite
    undoes only the failed statement, so it needs none."""
    if transaction.get_connection().vendor == "sqlite":
        return contextlib.nullcontext()
    return transaction.atomic()
