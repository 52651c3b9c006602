"""The whole citizen's path once, in Debian's chromium (headless), against a live server."""

import datetime
import io
import shutil

import pytest
from django.core.management import call_command

from verbund.accounts.models import User
from verbund.applications import queries
from verbund.applications.models import Submission
from verbund.applications.tests.conftest import PDF
from verbund.authorities.models import StaffMembership
from verbund.core.testing import needs, page_html

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_wohnsitz_in_a_real_browser(live_server, tmp_path):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    upload = tmp_path / "wohnungsgeberbestaetigung.pdf"
    upload.write_bytes(PDF)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # the labels below are German: ask for German, as a browser set to German would
        page = browser.new_page(locale="de-DE")
        fill_wohnsitz_in_browser(page, live_server.url, str(upload))
        html = page_html(page)  # the summary has loaded: its title is set
        assert "Zusammenfassung" in page.title() and "Muster" in html
        page.locator("#id-consent").check()
        page.get_by_role("button", name="Antrag absenden").click()
        assert "Ihr Antrag ist eingegangen" in page_html(page)
        number = page.locator("#vorgangsnummer").inner_text()
        browser.close()
    submission = Submission.objects.get(vorgangsnummer=number)
    clerk = User.objects.create_user("clerk-browser", kind="staff")
    StaffMembership.objects.create(user=clerk, authority=submission.authority)
    opened = queries.decrypt_submission_for_staff(clerk, number)
    assert opened.data["personen"][0]["familienname"] == "Muster"
    assert opened.data["strasse"] == "Anger" and opened.attachments[0].content == PDF


def fill_wohnsitz_in_browser(page, base: str, upload: str) -> None:
    """Search the Wohnsitz service, pick Erfurt by PLZ and fill every step up to the summary
    (shared by the end-to-end tests of applications and casework)."""
    page.goto(f"{base}/antraege/?q=Wohnung")
    page.get_by_role("link", name="Anmeldung einer Wohnung").click()
    page.get_by_label("Postleitzahl Ihres Wohnorts").fill("99084")
    page.get_by_role("button", name="Zuständige Stelle ermitteln").click()
    assert "Stadtverwaltung Erfurt" in page_html(page)
    page.get_by_role("button", name="Antrag beginnen").click()
    page.get_by_label("Straße", exact=False).first.fill("Anger")
    page.get_by_label("Hausnummer").fill("1")
    page.get_by_label("Postleitzahl").fill("99084")
    page.get_by_label("Einzugsdatum").fill(datetime.date.today().isoformat())
    page.get_by_label("alleinige Wohnung").check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Straße und Hausnummer").fill("Hauptstraße 5")
    page.get_by_label("Postleitzahl").fill("07743")
    page.locator("#id-f-bisher_ort").fill("Jena")
    page.get_by_label("Nein").check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Familienname").fill("Muster")
    page.get_by_label("Vornamen").fill("Erika")
    page.get_by_label("Geburtsdatum").fill("1985-03-01")
    page.get_by_label("weiblich").check()
    page.locator("#id-f-personen-0-verheiratet-nein").check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.locator("#id-f-wohnungsgeberbestaetigung").set_input_files(upload)
    page.get_by_role("button", name="Weiter zur Zusammenfassung").click()
