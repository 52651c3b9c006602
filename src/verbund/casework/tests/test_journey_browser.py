"""The clerk's journey from the inbox to the Bescheid, keyboard only, in Debian's chromium:
at 390 px and 1280 px without horizontal scrolling, axe-core without violations on every
page, in German and English; screenshots into docs/screenshots/."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from verbund.accounts import totp
from verbund.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from verbund.applications.tests.test_browser import ARGS, CHROMIUM
from verbund.casework.models import Case, Decision
from verbund.core.testing import check_page, needs, press, type_into

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "de": {
        "login": "Anmelden",
        "confirm_code": "Bestätigen",
        "take": "Vorgang übernehmen",
        "outcome": "teilweise stattgegeben",
        "tenor": "Entscheidung (Tenor)",
        "reasons": "Begründung",
        "preview": "Vorschau des Bescheids",
        "issue": "Bescheid erlassen und zustellen",
    },
    "en": {
        "login": "Log in",
        "confirm_code": "Confirm",
        "take": "Take over case",
        "outcome": "partly granted",
        "tenor": "Decision (operative part)",
        "reasons": "Reason",
        "preview": "Preview the notice",
        "issue": "Issue and deliver the notice",
    },
}


_USED_CODES: set[str] = set()


def log_in(page: Any, base: str, lang: str) -> None:
    code = totp.current_code(DEMO_TOTP_SECRET)
    while code in _USED_CODES:  # a TOTP code is accepted once (RFC 6238): wait for the next
        time.sleep(1)
        code = totp.current_code(DEMO_TOTP_SECRET)
    _USED_CODES.add(code)
    page.goto(f"{base}/sachbearbeitung/")
    type_into(page, page.locator("input[name=login]"), "sb.erfurt")
    type_into(page, page.locator("input[name=password]"), DEMO_PASSWORD)
    press(page, page.get_by_role("button", name=TEXT[lang]["login"], exact=True))
    type_into(page, page.locator("input[name=code]"), code)
    press(page, page.get_by_role("button", name=TEXT[lang]["confirm_code"]))
    page.locator("#inbox").wait_for()


def clerk_journey(
    browser: Any, base: str, number: str, *, lang: str, width: int, shots: bool
) -> None:
    context = browser.new_context(
        bypass_csp=True,
        locale="de-DE" if lang == "de" else "en-GB",
        viewport={"width": width, "height": 900},
    )
    if lang == "en":  # English by the visitor's choice (the switch's cookie), decision 0024
        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": base}])
    page = context.new_page()
    page.set_default_timeout(120_000)
    t = TEXT[lang]
    tag = f"clerk-{lang}" if shots else ""
    log_in(page, base, lang)
    check_page(page, f"{tag}-inbox" if tag else "", width)
    press(page, page.get_by_role("link", name=number))
    assert page.locator("#vorgangsnummer").inner_text() == number
    check_page(page, f"{tag}-case" if tag else "", width)
    take = page.get_by_role("button", name=t["take"])
    if take.count():
        press(page, take)
    press(page, page.get_by_label(t["outcome"], exact=True), "Space")
    type_into(
        page, page.get_by_label(t["tenor"]), "Die Hundesteuer wird ab dem 1. Januar festgesetzt."
    )
    type_into(page, page.get_by_label(t["reasons"], exact=True), "Der zweite Hund fehlt.")
    press(page, page.get_by_role("button", name=t["preview"]))
    preview = page.locator("#vorschau").inner_text()
    assert "Rechtsbehelfsbelehrung" in preview and "zweite Hund fehlt" in preview
    check_page(page, f"{tag}-preview" if tag else "", width)
    press(page, page.get_by_role("button", name=t["issue"]))
    page.locator("#status").wait_for()
    check_page(page, f"{tag}-decided" if tag else "", width)
    # the same clerk's e-invoice inbox and a report reflow as well
    page.goto(f"{base}/rechnungen/")
    page.locator("#invoices").wait_for()
    check_page(page, f"{tag}-einvoice-inbox" if tag else "", width)
    press(page, page.locator("#invoices tbody a").first)
    page.locator("#history").wait_for()
    check_page(page, f"{tag}-einvoice-detail" if tag else "", width)
    context.close()


def test_clerk_from_inbox_to_bescheid_keyboard_only_narrow_and_wide(live_server):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    # the demo's overdue case: its deadline follows its receipt
    for case in Case.objects.select_related("submission"):
        assert case.deadline >= case.submission.released_at.date()
    # the four demo cases, oldest first: one new, three in Bearbeitung (one overdue)
    decided = [
        c.submission.vorgangsnummer
        for c in Case.objects.select_related("submission").order_by("submission__released_at")
    ]
    runs = (("de", 390), ("en", 390), ("de", 1280), ("en", 1280))
    assert len(decided) == len(runs)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for number, (lang, width) in zip(decided, runs, strict=True):
            shots = lang == "de"
            clerk_journey(browser, live_server.url, number, lang=lang, width=width, shots=shots)
        browser.close()
    decisions = Decision.objects.filter(case__submission__vorgangsnummer__in=decided)
    assert decisions.count() == 4 and {d.outcome for d in decisions} == {"partial"}
