"""The supplier's journey, keyboard only, in Debian's chromium: check an invoice without
submitting it, submit one, look up a Leitweg-ID; at 390 px and 1280 px without horizontal
scrolling and without axe-core violations, in German and English."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from verbund.authorities.models import Authority
from verbund.core.testing import check_page, needs, press, type_into
from verbund.einvoices.demo import with_buyer_reference
from verbund.einvoices.models import Invoice
from verbund.einvoices.tests.conftest import UBL, leitweg_of
from verbund.einvoices.tests.test_browser import ARGS, CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "de": {
        "check": "Nur prüfen",
        "submit": "Rechnung prüfen und einreichen",
        "rejected": "Die Rechnung würde abgelehnt",
        "received": "Die Rechnung ist eingegangen",
        "search": "Suchen",
    },
    "en": {
        "check": "Check only",
        "submit": "Validate and submit the invoice",
        "rejected": "The invoice would be rejected",
        "received": "The invoice has been received",
        "search": "Search",
    },
}


def test_supplier_checks_and_submits_keyboard_only_narrow_and_wide(live_server, tmp_path):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    erfurt = Authority.objects.get(name="Stadtverwaltung Erfurt")
    suite = Path(settings.VERBUND_DATA_DIR) / "xrechnung" / "testsuite"
    good = with_buyer_reference((suite / UBL).read_bytes(), leitweg_of(erfurt))
    broken = re.sub(
        rb'(<cac:LegalMonetaryTotal>\s*<cbc:LineExtensionAmount currencyID="EUR">)[^<]*',
        rb"\g<1>999.99",
        good,
    )
    (tmp_path / "kaputt.xml").write_bytes(broken)
    (tmp_path / "rechnung.xml").write_bytes(good)
    stored = Invoice.objects.count()
    erfurt_id = leitweg_of(erfurt)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for lang, width in (("de", 390), ("en", 390), ("de", 1280), ("en", 1280)):
            t = TEXT[lang]
            tag = f"supplier-{lang}" if lang == "de" else ""
            context = browser.new_context(
                bypass_csp=True,
                locale="de-DE" if lang == "de" else "en-GB",
                viewport={"width": width, "height": 900},
            )
            if lang == "en":  # English by the visitor's choice (the switch's cookie), decision 0024
                context.add_cookies(
                    [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
                )
            page = context.new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{live_server.url}/e-rechnung/")
            check_page(page, f"{tag}-upload" if tag else "", width)
            # check only: the report explains, nothing is stored
            page.locator("#id_document").set_input_files(str(tmp_path / "kaputt.xml"))
            press(page, page.get_by_role("button", name=t["check"]))
            page.get_by_role("heading", name=t["rejected"]).wait_for()
            assert "BT-106: 999.99" in page.locator("#findings").inner_text()
            check_page(page, f"{tag}-check" if tag else "", width)
            # the technical text is folded and opens by keyboard
            press(page, page.locator("#findings summary").first)
            assert "[BR-CO-10]" in page.locator("#findings").inner_text()
            # submit
            page.goto(f"{live_server.url}/e-rechnung/")
            page.locator("#id_document").set_input_files(str(tmp_path / "rechnung.xml"))
            press(page, page.get_by_role("button", name=t["submit"]))
            page.get_by_role("heading", name=t["received"]).wait_for()
            check_page(page, f"{tag}-receipt" if tag else "", width)
            # Leitweg-ID lookup
            page.goto(f"{live_server.url}/e-rechnung/leitweg-ids/")
            type_into(page, page.locator("#id-q"), "Erfurt")
            press(page, page.get_by_role("button", name=t["search"]))
            page.wait_for_url("**q=Erfurt**")  # the filtered list, not the one before it
            assert erfurt_id in page.locator("#leitweg-ids").inner_text()
            check_page(page, f"{tag}-leitweg-ids" if tag else "", width)
            context.close()
        browser.close()
    assert Invoice.objects.count() == stored + 1  # the same bytes four times: one receipt
