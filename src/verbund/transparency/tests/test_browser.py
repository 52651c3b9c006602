"""The dashboard in Debian's chromium: Land, Kreis, Gemeinde and the map at 1280 and 390 px,
with axe-core and without horizontal scrolling. Screenshots go to docs/screenshots/."""

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from verbund.core.testing import axe_violations, needs

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"
PAGES = {
    "transparency-land": "/transparenz/",
    "transparency-kreis": "/transparenz/16061/",
    "transparency-gemeinde": "/transparenz/16051000/",
    "transparency-map": "/transparenz/karte/",
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_pages_are_accessible_at_both_widths(live_server):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width, height in ((1280, 900), (390, 844)):
            context = browser.new_context(
                bypass_csp=True, locale="de-DE", viewport={"width": width, "height": height}
            )
            page = context.new_page()
            for name, path in PAGES.items():
                page.goto(live_server.url + path)
                assert "Transparenz" in page.title()
                assert axe_violations(page) == [], (name, width)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, (name, width, overflow)
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))
            # the map's regions are links reachable by keyboard, labelled with name and value
            page.goto(live_server.url + "/transparenz/karte/")
            erfurt = page.locator('a[data-ags="16051000"]')
            assert erfurt.get_attribute("aria-label").startswith("Erfurt: ")
            erfurt.focus()
            assert page.evaluate("document.activeElement.getAttribute('data-ags')") == "16051000"
            context.close()
        browser.close()
