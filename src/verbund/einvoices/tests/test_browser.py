"""A supplier uploads an XRechnung in Debian's chromium (headless) against a live server."""

import io
import shutil

import pytest
from django.conf import settings
from django.core.management import call_command

from verbund.authorities.models import Authority
from verbund.core.testing import needs
from verbund.einvoices.demo import with_buyer_reference
from verbund.einvoices.models import Invoice
from verbund.einvoices.tests.conftest import UBL, leitweg_of

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_supplier_uploads_an_invoice_in_a_real_browser(live_server, tmp_path, shared_data):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    erfurt = Authority.objects.get(name="Stadtverwaltung Erfurt")
    suite = settings.VERBUND_DATA_DIR / "xrechnung" / "testsuite"
    upload = tmp_path / "rechnung.xml"
    upload.write_bytes(with_buyer_reference((suite / UBL).read_bytes(), leitweg_of(erfurt)))
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="de-DE")
        page.goto(f"{live_server.url}/e-rechnung/")
        page.locator("#id_document").set_input_files(str(upload))
        page.get_by_role("button", name="Rechnung prüfen und einreichen").click()
        page.get_by_role("heading", name="Die Rechnung ist eingegangen").wait_for()
        assert "Stadtverwaltung Erfurt" in page.locator("#authority").inner_text()
        browser.close()
    invoice = Invoice.objects.get(filename="rechnung.xml")
    assert invoice.authority == erfurt
