"""The new pages of the Land console and the authority administration once in Debian's
chromium against a live server: a district change proposed and approved by two editors,
the plain finder answer where no district is known, the funding review and the text
review; axe-core finds no WCAG 2.1 A/AA violation. Screenshots go to docs/screenshots/."""

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
from verbund.cooperation.models import DistrictProposal, LandOperator
from verbund.core.testing import axe_violations, needs, page_html
from verbund.gebiete.models import Gebiet, Level

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"
MEININGEN = "16066042"


def _log_in(page, base: str, target: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}{target}")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.locator("input[name=code]").fill(totp.current_code(DEMO_TOTP_SECRET))
    page.get_by_role("button", name="Bestätigen").click()


def _shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def test_district_review_and_console_pages_in_a_real_browser(live_server):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())
    land = Gebiet.objects.get(level=Level.LAND, key="16")
    second = upsert_account(
        username="redaktion.land",
        email="redaktion@land.demo.verbund.invalid",
        kind=User.Kind.OPERATOR,
        actor="test",
        password=DEMO_PASSWORD,
        totp_secret=DEMO_TOTP_SECRET,
    )
    LandOperator.objects.get_or_create(user=second, land=land)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        citizen = browser.new_context(locale="de-DE", bypass_csp=True).new_page()
        citizen.set_default_timeout(120_000)
        citizen.goto(f"{base}/leistungen/grundbuchauszug/zustaendigkeit?ags={MEININGEN}")
        heading = citizen.locator("#ergebnis").inner_text()
        assert "Grundbuchamt – abhängig von Ihrer Anschrift" in heading
        assert axe_violations(citizen) == []
        _shoot(citizen, "finder-district-unknown")

        editor = browser.new_context(locale="de-DE", bypass_csp=True).new_page()
        editor.set_default_timeout(120_000)
        _log_in(editor, base, "/land/bezirke/grundbuchamt/", "betrieb.land")
        editor.get_by_label("Kurzname des Amts (z. B. fa-erfurt)").fill("gba-jena")
        editor.locator("#id-gebiet").fill("16066")
        editor.get_by_label("Begründung und Quelle der Änderung").fill("Demo: Geschäftsverteilung")
        editor.get_by_role("button", name="Zur Prüfung vorschlagen").click()
        assert "zweite Person" in page_html(editor)
        assert axe_violations(editor) == []
        _shoot(editor, "land-districts")
        editor.goto(f"{base}/land/bezirke/finanzamt/")
        assert "Finanzamt Mühlhausen" in editor.locator("#bezirke-tabelle").inner_text()
        assert axe_violations(editor) == []

        reviewer = browser.new_context(locale="de-DE", bypass_csp=True).new_page()
        reviewer.set_default_timeout(120_000)
        _log_in(reviewer, base, "/land/bezirke/", "redaktion.land")
        # (no ORM here: playwright's loop runs in this thread)
        change = reviewer.locator("article[id^=aenderung-]")
        assert "Amtsgericht Jena – Grundbuchamt" in change.inner_text()
        change.get_by_role("button", name="Freigeben").click()
        assert "freigegeben" in page_html(reviewer)
        citizen.goto(f"{base}/leistungen/grundbuchauszug/zustaendigkeit?ags={MEININGEN}")
        assert "Amtsgericht Jena – Grundbuchamt" in citizen.locator("#ergebnis").inner_text()

        for path, name in [
            ("/land/pruefung/", "land-funding-review"),
            ("/land/texte/?leistung=hundesteuer-anmelden&feld=costs", "land-texts"),
        ]:
            editor.goto(f"{base}{path}")
            assert axe_violations(editor) == [], path
            _shoot(editor, name)
        browser.close()
    assert DistrictProposal.objects.get().state == "approved"
