"""Unlocking the staff-held key once, in Debian's chromium against a live server: the case
page asks for the key passphrase (no 500), the form leads back to the case, which then
shows the data; the page passes axe-core."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from verbund.accounts import totp
from verbund.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from verbund.accounts.models import User
from verbund.applications.tests.test_browser import ARGS, CHROMIUM
from verbund.authorities import actions
from verbund.authorities.models import Authority, EncryptionKey, StaffRole
from verbund.casework.tests.factories import submit_hundesteuer
from verbund.core.testing import axe_violations, needs, page_html

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"
PHRASE = "Krämerbrücke bei Nacht 1156"


def test_a_clerk_unlocks_the_key_in_a_real_browser_and_reads_the_case(live_server, settings):
    needs("chromium")
    import playwright.sync_api as playwright_api

    # given: staff-held keys; Sophie Berger leads in Erfurt and has a key passphrase
    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    settings.VERBUND_KEY_CUSTODY = "staff"
    erfurt = Authority.objects.get(name="Stadtverwaltung Erfurt")
    EncryptionKey.objects.filter(authority=erfurt, active=True).update(
        active=False, retired_at=timezone.now()
    )
    lead = User.objects.get(username="sb.erfurt")
    actions.upsert_staff_membership(user=lead, authority=erfurt, role=StaffRole.LEAD, actor="t")
    actions.set_key_passphrase(user=lead, passphrase=PHRASE, actor="test")
    number = submit_hundesteuer(family="Kerner").submission.vorgangsnummer
    base = live_server.url
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(locale="de-DE", bypass_csp=True).new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{base}/sachbearbeitung/vorgang/{number}/")
        page.locator("input[name=login]").fill("sb.erfurt")
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Anmelden", exact=True).click()
        page.locator("input[name=code]").fill(totp.current_code(DEMO_TOTP_SECRET))
        page.get_by_role("button", name="Bestätigen").click()
        # then: the case asks for the key instead of showing or failing
        assert page.get_by_role("heading", name="Schlüssel entsperren").is_visible()
        assert "Kerner" not in page_html(page)
        assert axe_violations(page) == []
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=str(SCREENSHOTS / "key-unlock.png"))
        # when
        page.get_by_label("Schlüssel-Passphrase", exact=True).fill(PHRASE)
        page.get_by_role("button", name="Entsperren").click()
        # then: back on the case, with the data
        assert f"/sachbearbeitung/vorgang/{number}/" in page.url
        assert "Kerner" in page.locator("#angaben").inner_text()
        browser.close()
