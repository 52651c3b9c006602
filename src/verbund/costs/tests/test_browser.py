"""The cost pages once in Debian's chromium (headless) against a live server: the Land
operator enters a cost and issues a month's statements, Erfurt's administrator finds its
statement and downloads the PDF. axe-core finds no WCAG 2.1 AA violation on either page.
Screenshots (1280 and 390 px wide) go to docs/screenshots/."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from verbund.accounts import totp
from verbund.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from verbund.applications.tests.test_browser import ARGS, CHROMIUM
from verbund.authorities.models import Authority
from verbund.core.testing import axe_violations, needs, page_html
from verbund.costs.models import Statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"


def _log_in(page, base: str, target: str, username: str) -> None:
    page.goto(f"{base}{target}")
    assert "/konto/anmelden/" in page.url, page.url
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    assert "/konto/zweiter-faktor/" in page.url, page.url
    page.locator("input[name=code]").fill(totp.current_code(DEMO_TOTP_SECRET))
    page.get_by_role("button", name="Bestätigen").click()


def _shoot(page, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def test_costs_and_statements_in_a_real_browser(live_server):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    erfurt = Authority.objects.get(name="Stadtverwaltung Erfurt")
    today = timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=40)).replace(day=1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        operator = browser.new_context(locale="de-DE", bypass_csp=True).new_page()
        operator.set_default_timeout(120_000)
        _log_in(operator, base, "/land/kosten/", "betrieb.land")
        assert operator.get_by_role("heading", name="Kosten und Abrechnung").is_visible()
        form = operator.locator("#komponente-storage")
        form.get_by_label("Kosten im Jahr in Euro").fill("12.000,00")
        form.get_by_label("Verteilschlüssel").select_option("population")
        form.get_by_role("button", name="Kosten speichern").click()
        assert "Die Kosten sind gespeichert." in page_html(operator)
        operator.get_by_label("Monat (JJJJ-MM)").fill(f"{month:%Y-%m}")
        operator.get_by_role("button", name="Abrechnungen erstellen").click()
        assert "Abrechnungen erstellt" in page_html(operator)
        assert f"{month:%m/%Y}" in operator.locator("#monate-tabelle").inner_text()
        assert axe_violations(operator) == []
        _shoot(operator, "land-costs")

        admin = browser.new_context(locale="de-DE", bypass_csp=True).new_page()
        admin.set_default_timeout(120_000)
        _log_in(admin, base, f"/verwaltung/{erfurt.slug}/", "admin.erfurt")
        admin.get_by_role("link", name="Abrechnungen").first.click()
        assert admin.get_by_role("heading", name="Abrechnungen").is_visible()
        row = admin.locator(f"#abrechnung-{month:%Y-%m}")
        assert "€" in row.inner_text()
        with admin.expect_download() as download:
            row.get_by_role("link", name=f"PDF {month:%m/%Y}").click()
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
        assert axe_violations(admin) == []
        _shoot(admin, "authority-statements")
        browser.close()
    assert Statement.objects.filter(authority=erfurt, month=month).exists()
