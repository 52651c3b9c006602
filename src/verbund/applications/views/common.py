"""What the citizen's pages share: the actor, the drafts remembered in the session, and
the lookups of a draft or submission that answer 404 for anyone else's."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from verbund.applications import (
    queries,
)
from verbund.applications.models import Draft, Submission
from verbund.core.errors import NotFound

DRAFTS = "applications.drafts"

PLACE_FIELDS = ("postal_code", "city")

SUBMITTED = "applications.submitted"


def _actor(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else "antragsteller"


def _remember_draft(request: HttpRequest, draft: Draft, token: str) -> None:
    tokens = dict(request.session.get(DRAFTS, {}))
    tokens[str(draft.pk)] = token
    request.session[DRAFTS] = tokens


def _draft(request: HttpRequest, draft_id: Any) -> Draft:
    try:
        return queries.get_draft(draft_id, user=request.user, tokens=request.session.get(DRAFTS))
    except NotFound as exc:
        raise Http404(exc.message) from None


def _submission(request: HttpRequest, number: str) -> Submission:
    try:
        return queries.get_submission_for_applicant(
            number, user=request.user, session_numbers=request.session.get(SUBMITTED, [])
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
