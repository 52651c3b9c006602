"""Fixtures of the back-office tests: real keys (the applications' pool), attachments in a
temporary storage, two authorities with staff in every role, and cases submitted through
the real citizen's path."""

from __future__ import annotations

import pytest

from verbund.accounts.models import User
from verbund.applications.tests.conftest import (  # noqa: F401 (fixtures)
    _attachment_storage,
    _key_pool,
)
from verbund.authorities.models import Authority, StaffMembership, StaffRole
from verbund.casework.tests.factories import submit_hundesteuer

OWN = "Stadtverwaltung Erfurt"
FOREIGN = "Verwaltungsgemeinschaft Hanstein-Rusteberg"


@pytest.fixture
def own() -> Authority:
    return Authority.objects.get(name=OWN)


@pytest.fixture
def foreign() -> Authority:
    return Authority.objects.get(name=FOREIGN)


def _staff(username: str, authority: Authority, role: str) -> User:
    user = User.objects.create_user(username, kind=User.Kind.STAFF, first_name=username)
    StaffMembership.objects.create(user=user, authority=authority, role=role)
    return user


@pytest.fixture
def staff(own, foreign) -> dict[str, User]:
    return {
        "clerk": _staff("t-clerk", own, StaffRole.CLERK),
        "lead": _staff("t-lead", own, StaffRole.LEAD),
        "admin": _staff("t-admin", own, StaffRole.ADMIN),
        "foreign_clerk": _staff("t-foreign-clerk", foreign, StaffRole.CLERK),
        "foreign_lead": _staff("t-foreign-lead", foreign, StaffRole.LEAD),
    }


@pytest.fixture
def citizen() -> User:
    return User.objects.create_user("t-citizen@example.org", kind=User.Kind.CITIZEN)


@pytest.fixture
def case(own):
    return submit_hundesteuer(family="Müller", given="Jana")
