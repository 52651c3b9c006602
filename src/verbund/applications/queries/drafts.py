"""Drafts of applications, found by their owner or by the token in the session."""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.applications.models import (
    Draft,
    Submission,
)
from verbund.applications.queries.common import User, _is_uuid, token_hash
from verbund.core.encryption import decrypt
from verbund.core.errors import NotFound


def get_draft(
    draft_id: Any, *, user: User, tokens: dict[str, str] | None = None, token: str = ""
) -> Draft:
    """The draft if the user owns it or holds its resume token; expired drafts are gone."""
    draft = (
        Draft.objects.select_related("form_version", "service", "authority", "applicant_authority")
        .filter(pk=draft_id, expires_at__gt=timezone.now())
        .first()
    )
    if draft is None:
        raise NotFound(_("Dieser Antragsentwurf ist nicht (mehr) vorhanden."), code="unknown_draft")
    if draft.owner_id is not None and user.is_authenticated and draft.owner_id == user.pk:
        return draft
    candidates = [token] if token else []
    if tokens:
        candidates.append(tokens.get(str(draft.pk), ""))
    for candidate in candidates:
        if candidate and hmac.compare_digest(token_hash(candidate), draft.resume_token_hash):
            return draft
    raise NotFound(_("Dieser Antragsentwurf ist nicht (mehr) vorhanden."), code="unknown_draft")


def submission_of_draft(
    draft_id: Any, *, user: User, tokens: dict[str, str] | None = None
) -> tuple[Submission, str] | None:
    """The submission a web draft became, with its access code, for whoever held the draft
    (its owner, or the browser with its resume token); None for anyone else. A repeated
    "Antrag absenden" gets the receipt of the first."""
    submission = (
        Submission.objects.filter(source_draft_id=str(draft_id))
        .only("id", "vorgangsnummer", "status", "applicant_id", "source_token_hash")
        .first()
        if _is_uuid(draft_id)
        else None
    )
    if submission is None:
        return None
    owner = user.is_authenticated and submission.applicant_id == user.pk
    token = (tokens or {}).get(str(draft_id), "")
    held = bool(token) and hmac.compare_digest(token_hash(token), submission.source_token_hash)
    if not (owner or held):
        return None
    first = Submission.objects.filter(pk=submission.pk).values_list("first_response", flat=True)[0]
    secret = str(json.loads(decrypt(first)).get("accessCode", "")) if first else ""
    return submission, secret


def drafts_of(user: User) -> QuerySet[Draft]:
    if not user.is_authenticated:
        return Draft.objects.none()
    return (
        Draft.objects.filter(owner_id=user.pk, expires_at__gt=timezone.now())
        .select_related("service", "authority")
        .order_by("-updated_at")
    )


def expired_drafts() -> QuerySet[Draft]:
    return Draft.objects.filter(expires_at__lte=timezone.now())
