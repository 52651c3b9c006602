"""The cooperation once in Debian's chromium (headless) against a live server: the Land
operator invites Gera, Gera's administrator accepts the agreement and activates the
Wohnsitz form, a citizen of Gera can then apply online, a citizen of Weimar is told how
else to apply. Screenshots of the Land console go to docs/screenshots/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from verbund.accounts import totp
from verbund.accounts.actions import upsert_account
from verbund.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from verbund.accounts.models import User
from verbund.applications.tests.test_browser import ARGS, CHROMIUM
from verbund.authorities.actions import upsert_staff_membership
from verbund.authorities.models import Authority, StaffRole
from verbund.cooperation.models import Activation, Membership
from verbund.core.testing import needs, page_html

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"
GERA = "16052000"
WEIMAR = "16055000"


def _log_in(page, base: str, target: str, username: str) -> None:
    page.goto(f"{base}{target}")
    assert "/konto/anmelden/" in page.url, page.url
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    assert "/konto/zweiter-faktor/" in page.url, page.url
    page.locator("input[name=code]").fill(totp.current_code(DEMO_TOTP_SECRET))
    page.get_by_role("button", name="Bestätigen").click()


def test_invite_accept_activate_and_apply_in_a_real_browser(live_server):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    gera = Authority.objects.select_related("gebiet").get(name="Stadtverwaltung Gera")
    admin = upsert_account(
        username="admin.gera",
        email="admin.gera@behoerde.demo.verbund.invalid",
        kind=User.Kind.STAFF,
        actor="test",
        password=DEMO_PASSWORD,
        totp_secret=DEMO_TOTP_SECRET,
    )
    upsert_staff_membership(user=admin, authority=gera, role=StaffRole.ADMIN, actor="test")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # the operator invites Gera by its ARS
        operator = browser.new_context(locale="de-DE").new_page()
        operator.set_default_timeout(120_000)
        _log_in(operator, base, "/land/", "betrieb.land")
        assert operator.get_by_role("heading", name="Behörden im Verbund").is_visible()
        operator.get_by_label("Regionalschlüssel (ARS) oder Gemeindeschlüssel (AGS)").fill(
            gera.gebiet.ars
        )
        operator.get_by_role("button", name="Einladen").click()
        assert "Stadtverwaltung Gera ist zum Verbund eingeladen" in page_html(operator)
        operator.goto(f"{base}/land/?stand=invited")
        assert "Stadtverwaltung Gera" in operator.locator("#behoerden-tabelle").inner_text()
        operator.goto(f"{base}/land/")
        operator.screenshot(path=str(SCREENSHOTS / "land-console.png"), full_page=False)

        # Gera's administrator accepts the agreement and activates the Wohnsitz form
        admin_page = browser.new_context(locale="de-DE").new_page()
        admin_page.set_default_timeout(120_000)
        _log_in(admin_page, base, "/verwaltung/", "admin.gera")
        assert "Stadtverwaltung Gera" in admin_page.locator("h1").inner_text()
        admin_page.get_by_label("Ansprechperson", exact=True).fill("Gerd Digital")
        admin_page.get_by_label("E-Mail der Ansprechperson").fill("digital@gera.example")
        admin_page.get_by_label("Ich nehme die Vereinbarung für meine Behörde an.").check()
        admin_page.get_by_role("button", name="Vereinbarung annehmen").click()
        assert "Mitglied" in admin_page.locator("#stand").inner_text()
        service = admin_page.locator("#dienst-wohnsitz-anmelden")
        service.get_by_label("Kontakt für Rückfragen").fill("Bürgerbüro Gera")
        service.get_by_label("Bearbeitungsfrist in Tagen").fill("7")
        service.get_by_role("button", name="Freischalten").click()
        assert "ist freigeschaltet" in page_html(admin_page)
        admin_page.screenshot(path=str(SCREENSHOTS / "authority-administration.png"))

        # a citizen of Gera can apply online
        citizen = browser.new_context(locale="de-DE").new_page()
        citizen.set_default_timeout(120_000)
        citizen.goto(f"{base}/leistungen/wohnsitz-anmelden/zustaendigkeit?ags={GERA}")
        citizen.get_by_role("link", name="Online beantragen").click()
        assert "Antrag beginnen" in page_html(citizen)
        # a citizen of Weimar is told how else to apply
        citizen.goto(f"{base}/leistungen/wohnsitz-anmelden/zustaendigkeit?ags={WEIMAR}")
        assert citizen.get_by_role("link", name="Online beantragen").count() == 0
        note = citizen.locator("#nicht-online").inner_text()
        assert "Stadtverwaltung Weimar bietet diese Leistung nicht online an" in note
        assert "Öffnungszeiten" in page_html(citizen)
        citizen.screenshot(path=str(SCREENSHOTS / "finder-not-online.png"), full_page=True)

        # the operator sees the rollout and the funding report
        operator.goto(f"{base}/land/dienste/")
        row = operator.locator("#einfuehrung-" + gera.slug).inner_text()
        assert "freigeschaltet" in row and "nicht angeboten" in row
        operator.screenshot(path=str(SCREENSHOTS / "land-rollout.png"), full_page=True)
        operator.goto(f"{base}/land/foerderung/")
        assert "500.000,00 €" in operator.locator("#aufrufe").inner_text()
        operator.screenshot(path=str(SCREENSHOTS / "land-funding.png"), full_page=True)
        browser.close()
    assert Membership.objects.get(authority=gera).accepted_by_id == admin.pk
    assert Activation.objects.filter(authority=gera, status="active").count() == 1
