"""Counts for usage metering (costs) and aggregate facts (transparency): no personal data."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Sum

from verbund.applications.models import (
    Submission,
    SubmissionAttachment,
)


def submissions_per_authority_and_service(
    start: datetime.datetime, end: datetime.datetime
) -> list[tuple[int, str, int]]:
    """(authority id, service slug, number) of the applications submitted in [start, end)."""
    rows = (
        Submission.objects.filter(
            submitted_at__gte=start, submitted_at__lt=end, authority__isnull=False
        )
        .values("authority_id", "service__slug")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(r["authority_id"], r["service__slug"], r["n"]) for r in rows]


def attachment_bytes_per_authority(end: datetime.datetime) -> dict[int, int]:
    """Bytes of the stored attachments of the applications submitted before `end`."""
    rows = (
        SubmissionAttachment.objects.filter(
            submission__submitted_at__lt=end, submission__authority__isnull=False
        )
        .values("submission__authority_id")
        .annotate(n=Sum("size"))
        .order_by()
    )
    return {r["submission__authority_id"]: int(r["n"] or 0) for r in rows}


def released_submission_facts() -> list[dict[str, Any]]:
    """One row per released submission, without personal data: service, place (AGS), receiving
    authority, release time, channel and the applicant account's proven trust level (empty
    without an account). The transparency figures are counted from these rows."""
    return [
        dict(row)
        for row in Submission.objects.filter(released_at__isnull=False).values(
            "pk",
            "service__slug",
            "place_ags",
            "authority_id",
            "released_at",
            "channel",
            "applicant__trust_level",
        )
    ]
