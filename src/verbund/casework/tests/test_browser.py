"""The whole back-office path once, in Debian's chromium (headless), against a live server:
a citizen applies, a clerk (password + TOTP) asks for a document, the citizen uploads it
through the Postfach, the clerk decides, the citizen sees the Bescheid."""

import io

import pytest
from django.core.management import call_command

from verbund.accounts import totp
from verbund.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from verbund.applications.models import Submission
from verbund.applications.tests.conftest import PDF
from verbund.applications.tests.test_browser import ARGS, CHROMIUM, fill_wohnsitz_in_browser
from verbund.core.testing import needs, page_html

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _apply(page, base: str, upload: str) -> tuple[str, str]:
    fill_wohnsitz_in_browser(page, base, upload)
    page.locator("#id-consent").check()
    page.get_by_role("button", name="Antrag absenden").click()
    assert "Ihr Antrag ist eingegangen" in page_html(page)
    return page.locator("#vorgangsnummer").inner_text(), page.locator("#zugangscode").inner_text()


def _open_postfach(page, base: str, number: str, code: str) -> None:
    page.goto(f"{base}/postfach/vorgang/")
    page.get_by_label("Vorgangsnummer").fill(number)
    page.get_by_label("Zugangscode").fill(code)
    page.get_by_role("button", name="Postfach öffnen").click()


def test_rueckfrage_upload_and_bescheid_in_a_real_browser(live_server, tmp_path):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    base = live_server.url
    upload = tmp_path / "wohnungsgeberbestaetigung.pdf"
    upload.write_bytes(PDF)
    nachweis = tmp_path / "nachweis.pdf"
    nachweis.write_bytes(PDF)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        citizen = browser.new_context(locale="de-DE").new_page()
        citizen.set_default_timeout(120_000)  # a loaded CI machine renders PDFs slowly
        number, code = _apply(citizen, base, str(upload))

        clerk = browser.new_context(locale="de-DE").new_page()
        clerk.set_default_timeout(120_000)
        clerk.goto(f"{base}/sachbearbeitung/vorgang/{number}/")
        assert "/konto/anmelden/" in clerk.url, (clerk.url, clerk.content()[:3000])
        clerk.locator("input[name=login]").fill("sb.erfurt")
        clerk.locator("input[name=password]").fill(DEMO_PASSWORD)
        clerk.get_by_role("button", name="Anmelden", exact=True).click()
        assert "/konto/zweiter-faktor/" in clerk.url, (clerk.url, clerk.content()[:3000])
        clerk.locator("input[name=code]").fill(totp.current_code(DEMO_TOTP_SECRET))
        clerk.get_by_role("button", name="Bestätigen").click()
        assert clerk.locator("#vorgangsnummer").inner_text() == number
        assert "Muster" in clerk.locator("#angaben").inner_text()
        clerk.get_by_role("button", name="Vorgang übernehmen").click()
        clerk.get_by_label("Betreff").fill("Mietvertrag fehlt")
        clerk.get_by_label("Was fehlt?").fill("Bitte laden Sie Ihren Mietvertrag hoch.")
        clerk.get_by_role("button", name="Rückfrage senden").click()
        assert "Rückfrage" in clerk.locator("#status").inner_text()

        _open_postfach(citizen, base, number, code)
        citizen.get_by_role("link", name="Mietvertrag fehlt").click()
        citizen.get_by_label("Ihre Antwort").fill("Anbei der Mietvertrag.")
        citizen.get_by_label("Dateien beifügen").set_input_files(str(nachweis))
        citizen.get_by_role("button", name="Antwort senden").click()

        clerk.reload()
        assert clerk.locator("#status").inner_text().startswith("in Bearbeitung")
        assert "Anbei der Mietvertrag." in clerk.locator("#thread").inner_text()
        with clerk.expect_download() as download:
            clerk.get_by_role("link", name="nachweis.pdf").click()
        assert download.value.path().read_bytes() == PDF
        clerk.get_by_label("stattgegeben", exact=True).check()
        clerk.get_by_label("Entscheidung (Tenor)").fill("Die Anmeldung ist eingetragen.")
        clerk.get_by_role("button", name="Vorschau des Bescheids").click()
        assert "Rechtsbehelfsbelehrung" in clerk.locator("#vorschau").inner_text()
        clerk.get_by_role("button", name="Bescheid erlassen und zustellen").click()
        assert clerk.locator("#status").inner_text().startswith("entschieden")

        _open_postfach(citizen, base, number, code)
        citizen.get_by_role("link", name=f"Bescheid zu Ihrem Antrag {number}").click()
        with citizen.expect_download() as download:
            citizen.get_by_role("link", name=f"Bescheid-{number}.pdf").click()
        assert download.value.path().read_bytes().startswith(b"%PDF-")
        browser.close()
    assert Submission.objects.get(vorgangsnummer=number).status == "decided"
