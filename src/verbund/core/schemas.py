"""Schemas the API modules of every domain share."""

from __future__ import annotations

from ninja import Schema

# The form of a slug in API paths (services, life situations).
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class Problem(Schema):
    """RFC 7807 problem details, as `verbund.api` renders every DomainError."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
