"""Submissions as their applicants and the FIT-Connect API steps read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from verbund.applications.access_codes import access_code_matches
from verbund.applications.models import (
    Submission,
    SubmissionAttachment,
)
from verbund.applications.queries.common import User
from verbund.core.errors import NotFound
from verbund.core.prepared import Prepared


def submissions_of(user: User) -> QuerySet[Submission]:
    if not user.is_authenticated:
        return Submission.objects.none()
    return (
        Submission.objects.filter(applicant_id=user.pk)
        .exclude(status=Submission.Status.ANNOUNCED)
        .select_related("service", "authority")
        .order_by("-submitted_at")
    )


def released_submissions() -> QuerySet[Submission]:
    """Submissions released to the back office (casework narrows them to a staff member's
    authority and service areas)."""
    return Submission.objects.filter(released_at__isnull=False)


def submission_for_update(pk: Any) -> Submission:
    """The submission, locked for the rest of the transaction (a case's status change)."""
    return Submission.objects.select_for_update().get(pk=pk)


def authority_id_of_submission(submission_id: Any) -> QuerySet[Submission, Any]:
    """The receiving authority's id of a submission, as a subquery (no case loaded)."""
    return Submission.objects.filter(pk=submission_id).values("authority_id")[:1]


def anonymous_submission(vorgangsnummer: str) -> Submission | None:
    """The submitted case of an applicant without an account by its number; the caller checks
    the access code (mailbox's anonymous Postfach, the status lookup)."""
    return (
        Submission.objects.select_related("service", "authority")
        .filter(vorgangsnummer=vorgangsnummer, applicant__isnull=True)
        .exclude(status=Submission.Status.ANNOUNCED)
        .first()
    )


def get_submission_for_applicant(
    vorgangsnummer: str, *, user: User, secret: str = "", session_numbers: list[str] | None = None
) -> Submission:
    """The submission for its applicant: by account, by access code, or right after
    submitting (the session remembers it). Anyone else gets NotFound."""
    submission = (
        Submission.objects.select_related("service", "authority", "form_version__definition")
        .filter(vorgangsnummer=vorgangsnummer.strip().upper())
        .first()
    )
    if submission is not None:
        if user.is_authenticated and submission.applicant_id == user.pk:
            return submission
        if session_numbers and submission.vorgangsnummer in session_numbers:
            return submission
        if secret and access_code_matches(secret, submission.status_secret_hash):
            return submission
    raise NotFound(
        _("Zu dieser Vorgangsnummer und diesem Zugangscode gibt es keinen Antrag."),
        code="unknown_submission",
    )


@dataclass(frozen=True)
class AnnouncedRef:
    """What an attachment upload needs to know of its submission (one narrow query)."""

    pk: Any
    status: str
    announced_attachments: list[str]
    kid: str


# The reads of the API's upload and completion run for every request: compiled once per
# process (core.prepared), they cost their execution only.
_ANNOUNCED_REF = Prepared(
    lambda pk: (
        Submission.objects.filter(pk=pk)
        .order_by()
        .values_list("pk", "status", "announced_attachments", "key__kid")
    ),
    params=[Submission._meta.pk],
)


def announced_ref(submission_id: Any) -> AnnouncedRef:
    row = _ANNOUNCED_REF.row(submission_id)
    if row is None:
        raise NotFound(_("Diese Einreichung gibt es nicht."), code="unknown_submission")
    return AnnouncedRef(*row)


# The columns of related rows the API steps use; read in the same query as the submission.
_API_RELATED = (
    "key__id",
    "key__kid",
    "authority__id",
    "authority__slug",
    "authority__name",
    "service__id",
    "service__slug",
    "form_version__id",
    "form_version__number",
    "form_version__content_hash",
)


def get_announced_submission(submission_id: Any, *, for_update: bool = False) -> Submission:
    """A submission of the API by id, with what the API steps need in the same query
    (`for_update` locks the row: call it inside the transaction that changes it)."""
    submission = _announced(for_update=for_update).filter(pk=submission_id).first()
    if submission is None:
        raise NotFound(_("Diese Einreichung gibt es nicht."), code="unknown_submission")
    return submission


def lock_announced_for_completion(submission_id: Any) -> tuple[Submission, int]:
    """The submission locked for its completion and the number of its uploaded
    attachments, in one query (call it inside the completing transaction)."""
    row = _LOCKED_FOR_COMPLETION.instance(submission_id)
    if row is None:
        raise NotFound(_("Diese Einreichung gibt es nicht."), code="unknown_submission")
    return row, int(row.uploaded_count)  # type: ignore[attr-defined]  # the annotation


def _locked_for_completion(submission_id: Any) -> QuerySet[Submission]:
    uploads = (
        SubmissionAttachment.objects.filter(submission=OuterRef("pk"))
        .order_by()
        .values("submission")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        _announced(for_update=True)
        .annotate(uploaded_count=Coalesce(Subquery(uploads), 0))
        .filter(pk=submission_id)
    )


_LOCKED_FOR_COMPLETION = Prepared(_locked_for_completion, params=[Submission._meta.pk])


def _announced(*, for_update: bool) -> QuerySet[Submission]:
    fields = [f.name for f in Submission._meta.concrete_fields]
    submissions = (
        Submission.objects.select_related("key", "authority", "service", "form_version")
        .only(*fields, *_API_RELATED)
        .order_by()
    )
    if for_update:
        submissions = submissions.select_for_update(of=("self",))
    return submissions
