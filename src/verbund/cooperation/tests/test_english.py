"""The Land console and the authority administration in English, through cooperation's
locale: the language switch's cookie turns the headings, tables and forms English."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.parametrize(
    ("path", "english", "german"),
    [
        ("/land/foerderung/", "Budget per funding programme and call", "Budget je Förderprogramm"),
        ("/land/bezirke/", "Kinds of offices", "Arten von Ämtern"),
        ("/land/texte/", "Drafts of the Land", "Entwürfe des Landes"),
    ],
)
def test_land_console_pages_in_english(operator, login_staff, path, english, german):
    client = _english(Client())
    login_staff(client, operator)
    page = client.get(path).content.decode()
    assert english in page and german not in page


def test_staff_administration_in_english(own, admin, login_staff):
    client = _english(Client())
    login_staff(client, admin)
    page = client.get(f"/verwaltung/{own.slug}/mitarbeitende/").content.decode()
    for english in (
        "Staff and Leitweg-IDs",
        "Invite a new staff member",
        "Work e-mail address",
        "Send invitation",
        "Leitweg-IDs for e-invoices",
    ):
        assert english in page, english
    assert "Mitarbeitende und Leitweg-IDs" not in page
    assert "Neue Mitarbeiterin" not in page
