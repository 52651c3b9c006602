"""The inbox: a page of cases with filters, a cursor and the applicant-name search."""

from __future__ import annotations

import base64
import datetime
import hashlib
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.applications.types import Submission
from verbund.authorities.types import StaffMembership
from verbund.casework import rules
from verbund.casework.models import CaseNameToken, ServiceTerms
from verbund.casework.queries.access import cases_of
from verbund.catalogue import queries as catalogue_queries
from verbund.catalogue.types import Service
from verbund.core.errors import DomainError

PAGE_SIZE = 25


@dataclass(frozen=True)
class InboxFilter:
    status: str = ""  # "" = open cases, "all", or one status
    service: str = ""  # service slug
    deadline: str = ""  # "", "overdue", "week"
    assignee: str = ""  # "", "me", "none", or a user id
    q: str = ""


@dataclass
class InboxPage:
    rows: list[Submission]
    next_cursor: str = ""
    today: datetime.date = field(default_factory=datetime.date.today)


def encode_cursor(submission: Submission) -> str:
    assert submission.released_at is not None
    raw = f"{submission.released_at.isoformat()}|{submission.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.datetime, str]:
    """The position a cursor of `encode_cursor` names; anything else is refused (400)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, pk = raw.split("|", 1)
        moment = datetime.datetime.fromisoformat(moment_text)
        if timezone.is_naive(moment):
            raise ValueError("cursor time without zone")
        return moment, str(uuid.UUID(pk))
    except (ValueError, UnicodeDecodeError):
        raise DomainError(_("Ungültige Seitenangabe."), code="invalid_cursor") from None


def search_key() -> bytes:
    secret = settings.VERBUND_CASEWORK_SEARCH_KEY or f"casework-search:{settings.SECRET_KEY}"
    return hashlib.sha256(secret.encode()).digest()


def name_search_tokens(text: str, authority_id: int) -> set[str]:
    return rules.blind_tokens([text], key=search_key(), scope=str(authority_id))


def inbox_page(
    membership: StaffMembership,
    filters: InboxFilter,
    *,
    cursor: str = "",
    size: int = PAGE_SIZE,
    today: datetime.date | None = None,
) -> InboxPage:
    """One page of the authority's inbox, newest first, paginated by keyset (released_at, id):
    a deep page costs as much as the first, no OFFSET scan."""
    today = today or timezone.localdate()
    qs = cases_of(membership)
    if filters.status == "all":
        pass
    elif filters.status:
        qs = qs.filter(status=filters.status)
    else:
        qs = qs.filter(status__in=rules.OPEN)
    if filters.service:
        qs = qs.filter(service__slug=filters.service)
    if filters.deadline == "overdue":
        qs = qs.filter(case__deadline__lt=today, status__in=rules.OPEN)
    elif filters.deadline == "week":
        qs = qs.filter(case__deadline__lte=today + datetime.timedelta(days=7))
    if filters.assignee == "me":
        qs = qs.filter(case__assignee_id=membership.user_id)
    elif filters.assignee == "none":
        qs = qs.filter(case__assignee__isnull=True)
    elif filters.assignee:
        assignee_id = rules.parse_user_id(filters.assignee)
        if assignee_id is None:
            raise DomainError(_("Ungültige Auswahl der Bearbeitung."), code="invalid_assignee")
        qs = qs.filter(case__assignee_id=assignee_id)
    text = filters.q.strip()
    if text:
        match = Q(vorgangsnummer__startswith=text.upper())
        tokens = name_search_tokens(text, membership.authority_id)
        if tokens:
            by_name = Q()
            for token in tokens:
                by_name &= Q(pk__in=CaseNameToken.objects.filter(token=token).values("case_id"))
            match |= by_name
        qs = qs.filter(match)
    if cursor:
        moment, pk = decode_cursor(cursor)
        qs = qs.filter(released_at__lte=moment).filter(Q(released_at__lt=moment) | Q(pk__lt=pk))
    # Only what the inbox shows: the service's long texts stay in the database.
    qs = qs.only(
        "vorgangsnummer",
        "status",
        "released_at",
        "authority_id",
        "service__name",
        "service__slug",
        "service__leika_key",
        "case__deadline",
        "case__assignee__username",
        "case__assignee__first_name",
        "case__assignee__last_name",
    )
    rows = list(qs.order_by("-released_at", "-pk")[: size + 1])
    next_cursor = encode_cursor(rows[size - 1]) if len(rows) > size else ""
    return InboxPage(rows=rows[:size], next_cursor=next_cursor, today=today)


def services_of(membership: StaffMembership) -> QuerySet[Service]:
    ids = ServiceTerms.objects.values("service_id")
    used = cases_of(membership).values("service_id")
    return catalogue_queries.all_services().filter(Q(pk__in=used) | Q(pk__in=ids)).order_by("name")
