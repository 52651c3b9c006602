from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from verbund.accounts.models import User
from verbund.accounts.queries import find_user_by_login
from verbund.authorities.models import Authority
from verbund.einvoices.demo import with_buyer_reference

# Test-suite invoices not used by the demo data (whose bytes the session already holds).
UBL = "business-cases/standard/01.05a-INVOICE_ubl.xml"
CII = "business-cases/standard/01.06a-INVOICE_uncefact.xml"


@pytest.fixture
def suite(shared_data: Path) -> Path:
    path = Path(django_settings.VERBUND_DATA_DIR) / "xrechnung" / "testsuite"
    assert path.is_dir(), "the KoSIT test suite belongs to ../shared/data/xrechnung"
    return path


@pytest.fixture(autouse=True)
def _invoice_storage(settings, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "einvoices": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "einvoices")},
        },
    }


@pytest.fixture
def hanstein() -> Authority:
    return Authority.objects.get(name="Verwaltungsgemeinschaft Hanstein-Rusteberg")


@pytest.fixture
def erfurt() -> Authority:
    return Authority.objects.get(name="Stadtverwaltung Erfurt")


def leitweg_of(authority: Authority) -> str:
    return authority.leitweg_ids.filter(active=True).first().value  # type: ignore[union-attr]


@pytest.fixture
def ubl_for(suite: Path):
    def build(authority: Authority | str, name: str = UBL) -> bytes:
        target = authority if isinstance(authority, str) else leitweg_of(authority)
        return with_buyer_reference((suite / name).read_bytes(), target)

    return build


@pytest.fixture
def clerk_hanstein() -> User:
    user = find_user_by_login("sb.hanstein")
    assert user is not None
    return user


@pytest.fixture
def clerk_erfurt() -> User:
    user = find_user_by_login("sb.erfurt")
    assert user is not None
    return user


@pytest.fixture
def citizen() -> User:
    user = find_user_by_login("erika.mustermann@demo.verbund.invalid")
    assert user is not None
    return user
