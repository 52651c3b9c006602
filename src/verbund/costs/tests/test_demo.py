"""The demo (loaded once per test session) enters this year's costs and issues the past
month's statements."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from verbund.costs import queries
from verbund.costs.models import ComponentCost, Statement
from verbund.gebiete.models import Gebiet, Level

pytestmark = pytest.mark.django_db


def test_the_demo_has_costs_and_statements():
    land = Gebiet.objects.get(level=Level.LAND, key=settings.VERBUND_LAND)
    today = timezone.localdate()
    past = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    assert ComponentCost.objects.filter(land=land, year=today.year).count() >= 3
    statements = Statement.objects.filter(land=land, month=past)
    assert statements.filter(authority__name="Stadtverwaltung Erfurt").exists()
    summary = queries.month_summary(land, past)
    assert summary.cost_cents > 0
    assert summary.land_cents + summary.statements_cents == summary.cost_cents


def test_the_members_are_the_cooperations():
    from verbund.cooperation import rules as cooperation_rules

    assert queries.MEMBER == cooperation_rules.MEMBER
