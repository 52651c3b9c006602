"""Errors raised by actions and queries, rendered as German messages in the UI and as
RFC 7807 problem details in the API."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal with a machine-readable code and a German message for people."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.extra = extra


class NotFound(DomainError):
    status = 404
    code = "not_found"


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooManyRequests(DomainError):
    """A client used up its allowance; `retry_after` seconds until it may try again."""

    status = 429
    code = "rate_limited"


class InvalidSourceFile(DomainError):
    """A malformed import file: names the line and the field that are wrong."""

    code = "invalid_source_file"

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None) -> None:
        where = []
        if line is not None:
            where.append(f"Zeile {line}")
        if field:
            where.append(f"Feld {field}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message, line=line, field=field)
        self.line = line
        self.field = field
