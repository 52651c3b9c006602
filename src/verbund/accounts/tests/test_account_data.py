"""Other domains join the export and the deletion through `account_data`."""

from __future__ import annotations

import json

import pytest

from verbund.accounts import account_data
from verbund.accounts.tests.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def applications_section():
    erased: list[int] = []
    account_data.register_account_data(
        "applications",
        export=lambda user: [{"reference": "HST-2026-0001", "holder": user.pk}],
        erase=lambda user: erased.append(user.pk),
    )
    yield erased
    account_data.SECTIONS.pop("applications")


def test_export_includes_the_sections_of_other_domains(client, citizen, applications_section):
    log_in(client, citizen.email)
    data = json.loads(client.get("/konto/export/").content)
    assert data["applications"] == [{"reference": "HST-2026-0001", "holder": citizen.pk}]


def test_deletion_lets_other_domains_erase_first(client, citizen, applications_section):
    log_in(client, citizen.email)
    pk = citizen.pk
    client.post("/konto/loeschen/", {"password": PASSWORD, "confirm": "on"})
    assert applications_section == [pk]


def test_the_account_page_leaves_the_status_monitor_block_to_the_postfach(
    client, citizen, tmp_path, settings
):
    (tmp_path / "mailbox").mkdir()
    (tmp_path / "mailbox" / "account.html").write_text(
        '{% extends "accounts/account.html" %}{% block status_monitor %}'
        "<section>Statusmonitor: 2 Anträge</section>{% endblock %}"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    account_data.use_account_template("mailbox/account.html")
    try:
        log_in(client, citizen.email)
        body = client.get("/konto/").content.decode()
    finally:
        account_data.use_account_template("accounts/account.html")
    assert "Statusmonitor: 2 Anträge" in body and "Persönliche Angaben" in body
