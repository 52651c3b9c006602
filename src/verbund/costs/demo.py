"""Demo of the cost allocation: the Land has entered this year's costs of some components
(each with another key), the past month is metered and its statements are issued, and the
account `admin.erfurt` administers the Stadtverwaltung Erfurt (a member of the Verbund) and
finds its statement under /verwaltung/."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from verbund.accounts.queries import find_user_by_login
from verbund.authorities import actions as authority_actions
from verbund.authorities import queries as authority_queries
from verbund.core.errors import NotFound
from verbund.costs import actions, queries, rules
from verbund.gebiete import queries as gebiete_queries

ACTOR = "load-demo"

# Yearly costs of the components (demo figures) and the key the agreement sets.
COSTS: list[tuple[str, str, str, str]] = [
    (rules.APPLICATIONS, "240000.00", rules.USAGE, "0"),
    (rules.POSTFACH, "36000.00", rules.BASE_PLUS_USAGE, "50.00"),
    (rules.BACKOFFICE_USERS, "120000.00", rules.POPULATION, "0"),
    (rules.DATASETS, "18000.00", rules.LAND_PAYS_ALL, "0"),
]
ADMIN_OF = "Stadtverwaltung Erfurt"


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    try:
        land = gebiete_queries.get_land(settings.VERBUND_LAND)
    except NotFound:
        out("Kein Land geladen; Kostenverteilung übersprungen.")
        return
    today = timezone.localdate()
    past = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    for year in sorted({today.year, past.year}):
        for component, amount, key, base_fee in COSTS:
            if not queries.component_costs(land, year).filter(component=component).exists():
                actions.set_component_cost(
                    land=land,
                    component=component,
                    year=year,
                    amount=Decimal(amount),
                    key=key,
                    base_fee=Decimal(base_fee),
                    actor=ACTOR,
                )
    issued = actions.issue_statements(land=land, month=past, actor=ACTOR, notify=False)
    authority = authority_queries.authorities().filter(name=ADMIN_OF).first()
    if authority is not None:
        # accounts/demo.py creates the account (with the demo password), loaded before this.
        admin = find_user_by_login("admin.erfurt")
        if admin is not None:
            authority_actions.upsert_staff_membership(
                user=admin, authority=authority, role="administration", actor=ACTOR
            )
    out(
        f"Kosten {today.year} für {len(COSTS)} Komponenten; {len(issued)} Abrechnungen für "
        f"{past:%m/%Y} (Konto admin.erfurt sieht die der Stadtverwaltung Erfurt)."
    )
