"""An authority's administrator invites a colleague in Debian's chromium against a live
server; the colleague follows the mailed link in a browser without JavaScript, sets a
password, enrols TOTP and lands in the authority's pages; axe-core finds no WCAG 2.1 A/AA
violation on the staff page and the invitation page. Screenshots go to docs/screenshots/."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command

from verbund.accounts import totp
from verbund.applications.tests.test_browser import ARGS, CHROMIUM
from verbund.authorities.models import Authority, StaffMembership
from verbund.cooperation.tests.test_browser_console import SCREENSHOTS, _log_in, _shoot
from verbund.core import tasks
from verbund.core.testing import axe_violations, needs, page_html

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Sicheres-Passwort-42"


def test_invite_a_colleague_who_enrols_in_a_real_browser(live_server):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())
    weimar = Authority.objects.get(name="Stadtverwaltung Weimar")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        admin = browser.new_context(locale="de-DE", bypass_csp=True).new_page()
        admin.set_default_timeout(120_000)
        _log_in(admin, base, f"/verwaltung/{weimar.slug}/mitarbeitende/", "admin.weimar")
        admin.get_by_label("Vorname").fill("Erika")
        admin.get_by_label("Nachname").fill("Beispiel")
        admin.get_by_label("Dienstliche E-Mail-Adresse").fill("erika@weimar.demo.verbund.invalid")
        admin.get_by_role("button", name="Einladung senden").click()
        sent = "Die Einladung an erika@weimar.demo.verbund.invalid ist unterwegs"
        assert sent in page_html(admin)
        assert (
            "eingeladen, noch nicht angenommen"
            in admin.locator("#mitarbeitende-tabelle").inner_text()
        )
        assert axe_violations(admin) == []
        _shoot(admin, "administration-staff")
        browser.close()
    # (the worker sends the queued mail; no ORM inside playwright's loop)
    tasks.run_pending()
    link = re.search(r"https?://\S+/konto/einladung/\S+", mail.outbox[-1].body)
    assert link is not None
    path = "/" + link.group(0).split("/", 3)[3]
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        checker = browser.new_context(locale="de-DE", bypass_csp=True).new_page()
        checker.goto(f"{base}{path}")  # looking does not spend the link
        assert axe_violations(checker) == []
        # the invitee's browser runs no JavaScript: plain forms suffice
        invitee = browser.new_context(
            locale="de-DE", bypass_csp=True, java_script_enabled=False
        ).new_page()
        invitee.set_default_timeout(120_000)
        invitee.goto(f"{base}{path}")
        assert "Einladung annehmen" in invitee.locator("h1").inner_text()
        invitee.locator("input[name=password]").fill(PASSWORD)
        invitee.locator("input[name=password_again]").fill(PASSWORD)
        invitee.get_by_role("button", name="Passwort speichern und weiter").click()
        secret = invitee.locator("#totp-secret").inner_text().replace(" ", "")
        invitee.locator("input[name=code]").fill(totp.current_code(secret))
        invitee.get_by_role("button", name="Einrichten").click()
        assert invitee.url.endswith("/verwaltung/")
        invitee.goto(f"{base}/sachbearbeitung/{weimar.slug}/")
        assert "Stadtverwaltung Weimar" in page_html(invitee)
        browser.close()
    membership = StaffMembership.objects.get(user__email="erika@weimar.demo.verbund.invalid")
    assert membership.authority == weimar and membership.user.has_usable_password()
