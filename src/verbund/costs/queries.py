"""Reads of the cost allocation, with its access helpers: the Land's cost page is the Land
console's (operators of the Land, through `cooperation.queries`), an authority's statements
are its administrators' only. Everyone else gets NotFound. The metering reads the other
domains' records through their `queries` modules."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet, Sum
from django.utils import timezone

from verbund.applications import queries as application_queries
from verbund.authorities import queries as authority_queries
from verbund.cooperation import queries as cooperation_queries
from verbund.core.errors import NotFound
from verbund.costs import rules
from verbund.costs.models import Allocation, ComponentCost, Statement, Usage
from verbund.einvoices import queries as einvoice_queries
from verbund.mailbox import queries as mailbox_queries
from verbund.opendata import queries as opendata_queries

User = AbstractBaseUser | AnonymousUser

# The stored membership state of the cooperation whose authorities share the costs
# (`cooperation.rules.MEMBER`; test_demo checks they agree).
MEMBER = "member"


def _not_found() -> NotFound:
    return NotFound("Nicht gefunden.", code="not_found")


# --- who may see what -----------------------------------------------------------------------


def land_of_operator_or_404(user: User) -> Any:
    """The Land whose costs the operator manages (the Land console's rule)."""
    return cooperation_queries.land_of_operator_or_404(user)


def authority_for_admin_or_404(user: User, slug: str) -> Any:
    return cooperation_queries.authority_for_admin_or_404(user, slug)


def statements_of(authority: Any) -> QuerySet[Statement]:
    return Statement.objects.filter(authority=authority).order_by("-month")


def get_statement_for_admin_or_404(user: User, slug: str, month: str) -> Statement:
    authority = authority_for_admin_or_404(user, slug)
    try:
        first = rules.parse_month(month)
    except ValueError:
        raise _not_found() from None
    statement = statements_of(authority).filter(month=first).select_related("authority").first()
    if statement is None:
        raise _not_found()
    return statement


# --- metering -------------------------------------------------------------------------------


def month_interval(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month as a half-open interval of aware datetimes in the platform's time zone."""
    start, after = rules.month_bounds(month)
    zone = timezone.get_default_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(after, datetime.time.min, tzinfo=zone),
    )


def measure_month(month: datetime.date) -> dict[tuple[int, str, str], int]:
    """(authority id, component, detail) → quantity for the month, counted from the records'
    own timestamps, so that any past month can be measured again with the same result (as
    long as its records are kept). Storage is the stock at the end of the month."""
    start, end = month_interval(month)
    figures: dict[tuple[int, str, str], int] = {}

    def put(component: str, counts: dict[int, int], detail: str = "") -> None:
        for authority_id, quantity in counts.items():
            if quantity:
                key = (authority_id, component, detail)
                figures[key] = figures.get(key, 0) + quantity

    for authority_id, slug, n in application_queries.submissions_per_authority_and_service(
        start, end
    ):
        put(rules.APPLICATIONS, {authority_id: n}, slug)
    put(rules.INVOICES, einvoice_queries.invoices_per_authority(start, end))
    put(rules.BACKOFFICE_USERS, authority_queries.active_staff_per_authority(start, end))
    put(rules.POSTFACH, mailbox_queries.messages_per_authority(start, end))
    put(rules.DATASETS, opendata_queries.datasets_published_per_authority(start, end))
    for stored in (
        application_queries.attachment_bytes_per_authority(end),
        einvoice_queries.invoice_bytes_per_authority(end),
        mailbox_queries.message_attachment_bytes_per_authority(end),
        opendata_queries.distribution_bytes_per_authority(end),
    ):
        put(rules.STORAGE, stored)
    return figures


def usage_of_month(month: datetime.date) -> QuerySet[Usage]:
    return Usage.objects.filter(month=month).order_by("authority_id", "component", "detail")


def usage_totals(month: datetime.date) -> dict[tuple[int, str], int]:
    """(authority id, component) → the month's metered quantity."""
    rows = usage_of_month(month).values("authority_id", "component").annotate(n=Sum("quantity"))
    return {(r["authority_id"], r["component"]): int(r["n"]) for r in rows.order_by()}


# --- costs and allocations ------------------------------------------------------------------


def component_costs(land: Any, year: int | None = None) -> QuerySet[ComponentCost]:
    costs = ComponentCost.objects.filter(land=land)
    return costs.filter(year=year) if year is not None else costs


def party_of(authority: Any) -> str:
    """The party key of an authority in allocations: its ARS first (ties in the rounding
    are broken by it), then its short name, since an area may have several authorities."""
    return f"{authority.gebiet.ars} {authority.slug}"


def land_party(land: Any) -> str:
    return str(land.ars)


def participants(land: Any) -> list[Any]:
    """The authorities that share the costs: members of the Verbund in the Land, without
    the Land's own authorities (their part is the Land's)."""
    return [
        row.authority
        for row in cooperation_queries.land_overview(land, state=MEMBER)
        if row.authority.gebiet_id != land.pk
    ]


def allocations_of(land: Any, month: datetime.date) -> QuerySet[Allocation]:
    return Allocation.objects.filter(land=land, month=month).order_by("component")


def recompute(allocation: Allocation) -> dict[str, int]:
    """The shares recomputed from the allocation's stored inputs (they must equal `shares`)."""
    return rules.allocate(
        key=allocation.key,
        cost=allocation.cost_cents,
        land=allocation.land_party,
        population={p: int(w) for p, w in allocation.population.items()},
        usage={p: int(w) for p, w in allocation.usage.items()},
        base_fee=allocation.base_fee_cents,
    )


def statements_of_month(land: Any, month: datetime.date) -> QuerySet[Statement]:
    return (
        Statement.objects.filter(land=land, month=month)
        .select_related("authority", "authority__gebiet")
        .order_by("party")
    )


def months_with_statements(land: Any) -> list[datetime.date]:
    return list(
        Allocation.objects.filter(land=land)
        .values_list("month", flat=True)
        .distinct()
        .order_by("-month")
    )


@dataclass(frozen=True)
class MonthSummary:
    month: datetime.date
    cost_cents: int
    land_cents: int
    statements_cents: int
    statements: int


def month_summary(land: Any, month: datetime.date) -> MonthSummary:
    allocations = list(allocations_of(land, month))
    return MonthSummary(
        month=month,
        cost_cents=sum(a.cost_cents for a in allocations),
        land_cents=sum(int(a.shares.get(a.land_party, 0)) for a in allocations),
        statements_cents=sum(s.total_cents for s in statements_of_month(land, month)),
        statements=statements_of_month(land, month).count(),
    )
