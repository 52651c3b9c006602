"""Fixtures of the cost tests: the demo Land, its operator, two member authorities (Gera,
Suhl) with an administrator each, and a Land's costs entered for 2026."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings

from verbund.accounts.models import User
from verbund.authorities.models import Authority, StaffMembership, StaffRole
from verbund.cooperation import actions as cooperation_actions
from verbund.cooperation import rules as cooperation_rules
from verbund.cooperation.models import LandOperator, Membership
from verbund.costs import actions, rules
from verbund.gebiete.models import Gebiet, Level

OWN = "Stadtverwaltung Gera"
FOREIGN = "Stadtverwaltung Suhl"


@pytest.fixture
def land() -> Gebiet:
    return Gebiet.objects.get(level=Level.LAND, key=settings.VERBUND_LAND)


def make_member(land: Gebiet, authority: Authority) -> None:
    if not Membership.objects.filter(authority=authority).exists():
        cooperation_actions.invite_authority(
            land=land, ars=authority.gebiet.ars, slug=authority.slug, actor="test"
        )
    membership = Membership.objects.get(authority=authority)
    if membership.state != cooperation_rules.MEMBER:
        cooperation_actions.accept_agreement(
            authority=authority,
            version=cooperation_rules.AGREEMENT_VERSION,
            contact_name="Test",
            contact_email="",
            actor="test",
        )


@pytest.fixture
def own(land) -> Authority:
    authority = Authority.objects.select_related("gebiet").get(name=OWN)
    make_member(land, authority)
    return authority


@pytest.fixture
def foreign(land) -> Authority:
    authority = Authority.objects.select_related("gebiet").get(name=FOREIGN)
    make_member(land, authority)
    return authority


def make_staff(username: str, authority: Authority, role: str, email: str = "") -> User:
    user = User.objects.create_user(username, email=email, kind=User.Kind.STAFF)
    StaffMembership.objects.create(user=user, authority=authority, role=role)
    return user


@pytest.fixture
def operator(land) -> User:
    user = User.objects.create_user("t-operator", kind=User.Kind.OPERATOR)
    LandOperator.objects.create(user=user, land=land)
    return user


@pytest.fixture
def admin(own) -> User:
    return make_staff("t-admin", own, StaffRole.ADMIN, email="t-admin@gera.example")


@pytest.fixture
def foreign_admin(foreign) -> User:
    return make_staff("t-foreign-admin", foreign, StaffRole.ADMIN)


@pytest.fixture
def costs_2026(land):
    """Costs of 2026 under every key (figures chosen so that cents are left to distribute)."""
    entries = [
        (rules.APPLICATIONS, "120000.07", rules.USAGE, None),
        (rules.POSTFACH, "36000.01", rules.BASE_PLUS_USAGE, Decimal("1.11")),
        (rules.BACKOFFICE_USERS, "99999.99", rules.POPULATION, None),
        (rules.DATASETS, "18000.00", rules.LAND_PAYS_ALL, None),
        (rules.STORAGE, "7777.77", rules.USAGE, None),
    ]
    for component, amount, key, base_fee in entries:
        actions.set_component_cost(
            land=land,
            component=component,
            year=2026,
            amount=Decimal(amount),
            key=key,
            base_fee=base_fee,
            actor="test",
        )
    return entries
