"""Every change of the cost allocation: metering a month, entering a component's yearly
cost, issuing a month's statements. One atomic function each, with its audit row."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from verbund.authorities import queries as authority_queries
from verbund.core.audit import Actor, record_audit, snapshot
from verbund.core.errors import Conflict, InvalidInput
from verbund.costs import queries, rules
from verbund.costs.models import Allocation, ComponentCost, Statement, Usage


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


@transaction.atomic
def meter_month(*, month: datetime.date, actor: Actor) -> int:
    """Measure the month from the records and replace its usage rows (idempotent: running it
    again for the same records yields the same rows). Returns the number of rows."""
    month = month.replace(day=1)
    figures = queries.measure_month(month)
    now = timezone.now()
    existing = {
        (u.authority_id, u.component, u.detail): u for u in Usage.objects.filter(month=month)
    }
    stale = [u.pk for key, u in existing.items() if key not in figures]
    Usage.objects.filter(pk__in=stale).delete()
    changed = 0
    for (authority_id, component, detail), quantity in sorted(figures.items()):
        row = existing.get((authority_id, component, detail))
        if row is None:
            Usage.objects.create(
                authority_id=authority_id,
                month=month,
                component=component,
                detail=detail,
                quantity=quantity,
                metered_at=now,
            )
            changed += 1
        elif row.quantity != quantity:
            row.quantity = quantity
            row.metered_at = now
            row.save(update_fields=["quantity", "metered_at"])
            changed += 1
    record_audit(
        action="costs.metered",
        actor=actor,
        object_type="costs.usage",
        object_id=f"{month:%Y-%m}",
        rows=len(figures),
        changed=changed,
        removed=len(stale),
    )
    return len(figures)


@transaction.atomic
def set_component_cost(
    *,
    land: Any,
    component: str,
    year: int,
    amount: Decimal | None,
    key: str,
    base_fee: Decimal | None = None,
    actor: Actor,
) -> ComponentCost:
    """Enter (or correct) the yearly cost of a component and the key the agreement sets."""
    if component not in rules.COMPONENTS:
        raise InvalidInput("Unbekannte Komponente.", code="unknown_component")
    if not 2000 <= year <= 2100:
        raise InvalidInput("Bitte ein Jahr zwischen 2000 und 2100 angeben.", code="invalid_year")
    errors = rules.cost_errors(amount=amount, key=key, base_fee=base_fee)
    if errors:
        raise InvalidInput(" ".join(errors.values()), code="invalid_cost", fields=errors)
    assert amount is not None
    row = ComponentCost.objects.filter(land=land, component=component, year=year).first()
    before = snapshot(row) if row is not None else None
    if row is None:
        row = ComponentCost(land=land, component=component, year=year)
    row.amount = amount
    row.key = key
    row.base_fee = base_fee if key == rules.BASE_PLUS_USAGE and base_fee is not None else 0
    row.entered_by = _user(actor)
    row.save()
    record_audit(
        action="costs.cost_entered", actor=actor, obj=row, before=before, after=snapshot(row)
    )
    return row


def issue_statements(
    *, land: Any, month: datetime.date, actor: Actor, notify: bool = True
) -> list[Statement]:
    """Issue the month's statements (`_issue_statements`); a run that collides with another
    one for the same month (unique allocations) is refused instead of failing. `notify`:
    mail the authorities' administrators (the demo's statements mail nobody)."""
    try:
        return _issue_statements(land=land, month=month, actor=actor, notify=notify)
    except IntegrityError:
        raise Conflict(
            "Für diesen Monat werden gerade Abrechnungen erstellt; bitte gleich noch einmal.",
            code="statements_in_progress",
        ) from None


@transaction.atomic
def _issue_statements(
    *, land: Any, month: datetime.date, actor: Actor, notify: bool
) -> list[Statement]:
    """Meter the month, allocate the cost of every component the Land entered for its year
    by the component's key, and write one statement per participating authority (replacing
    those of an earlier run for the month). The allocations keep the inputs, so the figures
    can be recomputed; the Land's share plus the statements equal the month's cost."""
    month = month.replace(day=1)
    meter_month(month=month, actor=actor)
    parties = {queries.party_of(a): a for a in queries.participants(land)}
    now = timezone.now()
    lines = _allocate_month(land=land, month=month, parties=parties, now=now)
    Statement.objects.filter(land=land, month=month).exclude(party__in=parties).delete()
    issued = []
    changed = []
    for party, authority in parties.items():
        statement, is_new = _write_statement(
            land=land, month=month, party=party, authority=authority, lines=lines[party], now=now
        )
        issued.append(statement)
        if is_new:
            changed.append(statement)
    record_audit(
        action="costs.statements_issued",
        actor=actor,
        object_type="costs.statement",
        object_id=f"{land.ars}/{month:%Y-%m}",
        statements=len(issued),
        changed=len(changed),
        components=Allocation.objects.filter(land=land, month=month).count(),
    )
    from verbund.costs.tasks import notify_statement

    for statement in changed if notify else []:
        notify_statement.enqueue(statement_id=statement.pk)
    return issued


def _allocate_month(
    *, land: Any, month: datetime.date, parties: dict[str, Any], now: datetime.datetime
) -> dict[str, list[dict[str, Any]]]:
    """Allocate the cost of every component the Land entered for the month's year by the
    component's key; one Allocation row per component (replacing an earlier run's) and the
    statement lines per party."""
    totals = queries.usage_totals(month)
    land_key = queries.land_party(land)
    population = {party: int(a.gebiet.population or 0) for party, a in parties.items()}
    Allocation.objects.filter(land=land, month=month).delete()
    lines: dict[str, list[dict[str, Any]]] = {party: [] for party in parties}
    for cost in queries.component_costs(land, month.year):
        usage = {party: totals.get((a.pk, cost.component), 0) for party, a in parties.items()}
        cost_cents = rules.monthly_cost(rules.to_cents(cost.amount), month.month)
        base_fee_cents = rules.to_cents(cost.base_fee)
        shares = rules.allocate(
            key=cost.key,
            cost=cost_cents,
            land=land_key,
            population=population,
            usage=usage,
            base_fee=base_fee_cents,
        )
        Allocation.objects.create(
            land=land,
            month=month,
            component=cost.component,
            key=cost.key,
            cost_cents=cost_cents,
            base_fee_cents=base_fee_cents,
            land_party=land_key,
            population=population,
            usage=usage,
            shares=shares,
            computed_at=now,
        )
        weights = population if cost.key == rules.POPULATION else usage
        for party in parties:
            lines[party].append(
                {
                    "component": cost.component,
                    "key": cost.key,
                    "cost_cents": cost_cents,
                    "base_fee_cents": base_fee_cents if cost.key == rules.BASE_PLUS_USAGE else 0,
                    "weight": weights[party],
                    "total_weight": sum(weights.values()),
                    "share_cents": shares[party],
                }
            )
    return lines


def _write_statement(
    *,
    land: Any,
    month: datetime.date,
    party: str,
    authority: Any,
    lines: list[dict[str, Any]],
    now: datetime.datetime,
) -> tuple[Statement, bool]:
    """The party's statement for the month with these lines; True if it is new or changed
    (an unchanged statement keeps its date and is not announced again)."""
    total = sum(line["share_cents"] for line in lines)
    statement = Statement.objects.filter(authority=authority, month=month).first()
    if statement is None:
        statement = Statement(authority=authority, month=month)
    elif statement.total_cents == total and statement.lines == lines:
        return statement, False
    statement.land = land
    statement.party = party
    statement.total_cents = total
    statement.lines = lines
    statement.issued_at = now
    statement.notified_at = None
    statement.save()
    return statement, True


def send_statement_notice(*, statement_id: int) -> bool:
    """Mail the authority's administrators that a statement is ready (once; the statement
    itself stays on the platform). Runs in the worker."""
    statement = (
        Statement.objects.filter(pk=statement_id, notified_at__isnull=True)
        .select_related("authority")
        .first()
    )
    if statement is None:
        return False
    recipients = authority_queries.administrator_emails(statement.authority)
    if recipients:
        rendered = render_to_string(
            "costs/mail/statement.txt",
            {"statement": statement, "total": rules.from_cents(statement.total_cents)},
        ).strip()
        subject, _sep, body = rendered.partition("\n")
        send_mail(subject.strip(), body.strip() + "\n", None, recipients)
    Statement.objects.filter(pk=statement_id).update(notified_at=timezone.now())
    return bool(recipients)
