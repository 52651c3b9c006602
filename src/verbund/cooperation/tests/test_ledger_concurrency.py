"""≥ 20 approvals at once against a budget that fits only some of them. On PostgreSQL each
approval runs in its own thread, connection and transaction (the call row is locked with
SELECT … FOR UPDATE); on SQLite writers are serialised by IMMEDIATE transactions and the
same approvals run one after another. Either way: never overspent, every refusal explained,
every booking audited, the ledger reconciles to the cent."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from verbund.authorities.models import Authority
from verbund.cooperation import actions, queries
from verbund.cooperation.models import Booking, FundingApplication
from verbund.core.errors import Conflict
from verbund.core.models import AuditEntry
from verbund.gebiete.models import Gebiet, Level

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 24
AMOUNT = Decimal("12345.67")
BUDGET = Decimal("100000.00")  # fits 8 approvals (98.765,36 €), not 9


def _approve(pk: int, barrier: threading.Barrier | None) -> str:
    try:
        if barrier is not None:
            barrier.wait(timeout=60)
        application = FundingApplication.objects.get(pk=pk)
        actions.approve_funding_application(application=application, amount=AMOUNT, actor="test")
        return "approved"
    except Conflict as exc:
        return exc.message
    finally:
        connections.close_all()


def test_parallel_approvals_never_overspend_the_budget():
    if not Gebiet.objects.filter(level=Level.LAND, key=settings.VERBUND_LAND).exists():
        # An earlier committing test truncated the tables: this test's data must be there.
        call_command("load-demo", stdout=io.StringIO())
    land = Gebiet.objects.get(level=Level.LAND, key=settings.VERBUND_LAND)
    call = actions.open_funding_call(
        land=land,
        title="Parallel",
        year=2027,
        budget=BUDGET,
        min_amount=Decimal("1000.00"),
        max_amount=Decimal("50000.00"),
        rate_percent=Decimal("100"),
        actor="test",
    )
    applicants = list(Authority.objects.order_by("pk")[:PARALLEL])
    ids = [
        actions.submit_funding_application(
            call=call,
            applicant=applicant,
            title="Vorhaben",
            eligible_costs=AMOUNT,
            requested_amount=AMOUNT,
            actor="test",
        ).pk
        for applicant in applicants
    ]
    if connection.vendor == "postgresql":
        barrier = threading.Barrier(PARALLEL)
        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            outcomes = list(pool.map(lambda pk: _approve(pk, barrier), ids))
    else:
        outcomes = [_approve(pk, None) for pk in ids]
    approved = [o for o in outcomes if o == "approved"]
    refused = [o for o in outcomes if o != "approved"]
    assert len(approved) == 8, outcomes
    assert len(refused) == PARALLEL - 8
    assert all("Das Budget des Aufrufs reicht nicht" in reason for reason in refused)
    totals = queries.ledger(call)
    assert totals["committed"] == AMOUNT * 8 <= BUDGET
    assert totals["available"] == BUDGET - AMOUNT * 8 == Decimal("1234.64")
    assert Booking.objects.filter(call=call).count() == 8
    bookings = [str(pk) for pk in Booking.objects.filter(call=call).values_list("pk", flat=True)]
    assert (
        AuditEntry.objects.filter(
            action="cooperation.booking_commitment", object_id__in=bookings
        ).count()
        == 8
    )
    assert queries.reconcile(call) == []
