"""Fixtures of the cooperation tests: the demo Land, an operator of it, and administrators
of two authorities that the demo has not invited (Gera and Suhl)."""

from __future__ import annotations

import pytest
from django.conf import settings

from verbund.accounts.models import User
from verbund.authorities.models import Authority, StaffMembership, StaffRole
from verbund.cooperation.models import LandOperator
from verbund.gebiete.models import Gebiet, Level

OWN = "Stadtverwaltung Gera"
FOREIGN = "Stadtverwaltung Suhl"


@pytest.fixture
def land() -> Gebiet:
    return Gebiet.objects.get(level=Level.LAND, key=settings.VERBUND_LAND)


@pytest.fixture
def own() -> Authority:
    return Authority.objects.select_related("gebiet").get(name=OWN)


@pytest.fixture
def foreign() -> Authority:
    return Authority.objects.select_related("gebiet").get(name=FOREIGN)


def make_staff(username: str, authority: Authority, role: str) -> User:
    user = User.objects.create_user(username, kind=User.Kind.STAFF, first_name=username)
    StaffMembership.objects.create(user=user, authority=authority, role=role)
    return user


@pytest.fixture
def operator(land) -> User:
    user = User.objects.create_user("t-operator", kind=User.Kind.OPERATOR)
    LandOperator.objects.create(user=user, land=land)
    return user


@pytest.fixture
def admin(own) -> User:
    return make_staff("t-admin", own, StaffRole.ADMIN)


@pytest.fixture
def foreign_admin(foreign) -> User:
    return make_staff("t-foreign-admin", foreign, StaffRole.ADMIN)
