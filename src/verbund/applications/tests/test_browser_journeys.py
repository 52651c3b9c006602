"""Issue 14 in Debian's chromium: the citizen's two journeys (without an account; with the
Servicekonto and its prefill), by keyboard only, at 390 px and at 1280 px, in German and in
English; axe-core on every page; the weight of a first visit of the start page."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from verbund.applications.tests.test_browser import ARGS, CHROMIUM
from verbund.core.testing import axe_violations, needs, page_html

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"
NARROW = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}
DEMO_CITIZEN = "erika.mustermann@demo.verbund.invalid"
DEMO_PASSWORD = "Verbund-Demo-2026"


class Journey:
    """One person in one browser context: keyboard only, every page checked on arrival."""

    def __init__(self, page: Any, base: str, *, name: str, shots: bool) -> None:
        self.page, self.base, self.name, self.shots = page, base, name, shots
        self.checked: list[str] = []

    def check(self, label: str) -> None:
        page = self.page
        width = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        if width > inner:
            wide = page.evaluate(
                """w => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w + 1)
                .slice(-5).map(e => e.tagName + '.' + e.className + ' ' +
                    Math.round(e.getBoundingClientRect().right))""",
                inner,
            )
            raise AssertionError(f"{label}: horizontal scrolling ({width} > {inner}): {wide}")
        violations = axe_violations(page)
        assert violations == [], f"{label} ({page.url}): {violations}"
        self.checked.append(label)
        if self.shots:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            size = page.viewport_size["width"]
            page.screenshot(path=str(SCREENSHOTS / f"buerger-{self.name}-{label}-{size}.png"))

    def tab_to(self, selector: str, limit: int = 80) -> None:
        """Press Tab until the element has the focus: it must be reachable by keyboard."""
        target = self.page.locator(selector).first
        target.wait_for(state="attached")
        for _ in range(limit):
            if target.evaluate("el => el === document.activeElement"):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"{selector} is not reachable with Tab on {self.page.url}")

    def type_into(self, selector: str, text: str) -> None:
        self.tab_to(selector)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)

    def enter_date(self, selector: str, day: datetime.date) -> None:
        """A date field reached by Tab; its segments (day, month, year) filled as a whole,
        since chromium's segment typing depends on the platform's date format."""
        self.tab_to(selector)
        self.page.locator(selector).fill(day.isoformat())

    def press(self, selector: str, key: str = "Enter") -> None:
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press(key)

    def focused_id(self) -> str:
        return str(self.page.evaluate("document.activeElement && document.activeElement.id"))


def choose_english(journey: Journey) -> None:
    """The language switch in the header: English by explicit choice only."""
    journey.tab_to("#verbund-language")
    journey.page.keyboard.press("End")  # the last option: English
    journey.press(".verbund-lang button")
    assert journey.page.locator("html").get_attribute("lang") == "en"


def dog_step(journey: Journey) -> None:
    """The dogs step: first a wrong chip number (focus on the error summary), then Enter in
    the dog's name continues to the summary instead of adding a second dog."""
    page = journey.page
    journey.type_into("#id-f-hunde-0-name", "Bello")
    journey.type_into("#id-f-hunde-0-rasse", "Mischling")
    since = datetime.date.today() - datetime.timedelta(days=10)
    journey.enter_date("#id-f-hunde-0-wurfdatum", datetime.date(2024, 1, 1))
    journey.enter_date("#id-f-hunde-0-haltung_seit", since)
    journey.tab_to("#id-f-hunde-0-grund-1")  # few options: radio buttons
    page.keyboard.press("Space")
    journey.type_into("#id-f-hunde-0-chipnummer", "12345")
    journey.press("#id-f-hunde-0-name")  # Enter in the name field
    assert page.locator("#fehler").count() == 1
    assert journey.focused_id() == "fehler", "focus must land on the error summary"
    assert "15 Ziffern" in page.locator("#fehler").inner_text() or "15 digits" in (
        page.locator("#fehler").inner_text()
    )
    journey.check("fehler")
    journey.type_into("#id-f-hunde-0-chipnummer", "276098106543210")
    journey.press("#id-f-hunde-0-name")
    assert "/zusammenfassung/" in page.url, (
        "Enter in the name must continue: " + (page.locator("main").inner_text()[:1500])
    )
    assert page.locator("text=Hund 2").count() == 0


def anonymous_journey(page: Any, base: str, *, name: str, english: bool, shots: bool) -> str:
    journey = Journey(page, base, name=name, shots=shots)
    page.goto(f"{base}/")
    journey.check("start")
    if english:
        choose_english(journey)
        journey.check("start-en")
    page.goto(f"{base}/leistungen/hundesteuer-anmelden/zustaendigkeit")
    journey.type_into("#finder-plz", "37318")
    journey.press("#finder-plz")
    if page.locator("#ags-16061001").count():  # the PLZ spans several Gemeinden
        journey.tab_to("#ags-16061001")
        page.keyboard.press("Space")
        journey.press("#ags-16061001")
    journey.check("zustaendigkeit")
    journey.press("#online-antrag a")
    journey.check("antrag-start")
    journey.press("button[name=begin]")
    journey.check("schritt-1")
    journey.type_into("#id-f-familienname", "Muster")
    journey.type_into("#id-f-vornamen", "Max")
    journey.type_into("#id-f-anschrift", "Hauptstraße 3")
    journey.press("#id-f-anschrift")
    journey.check("schritt-2")
    dog_step(journey)
    journey.check("zusammenfassung")
    journey.tab_to("#id-consent")
    page.keyboard.press("Space")
    journey.type_into("#id-email", "max.muster@example.org")
    journey.press("form button.kern-btn--primary")
    assert page.locator("#vorgangsnummer").count() == 1
    code = page.locator("#zugangscode").inner_text()
    assert len(code.split()) == 5 or len(code.replace(" ", "")) >= 20
    journey.check("eingangsbestaetigung")
    number = page.locator("#vorgangsnummer").inner_text()
    # the status page: the code typed back, as printed
    page.goto(f"{base}/vorgang/status/")
    journey.check("status")
    journey.type_into("#id-vorgangsnummer", number)
    journey.type_into("#id-zugangscode", code)
    journey.press("#id-zugangscode")
    assert number in page_html(page)
    page.goto(f"{base}/postfach/vorgang/")
    journey.check("postfach-vorgang")
    return number


def account_journey(page: Any, base: str, *, name: str, english: bool, shots: bool) -> None:
    journey = Journey(page, base, name=name, shots=shots)
    page.goto(f"{base}/konto/anmelden/")
    if english:
        choose_english(journey)
    journey.check("anmelden")
    journey.type_into("#id_login", DEMO_CITIZEN)
    journey.type_into("#id_password", DEMO_PASSWORD)
    journey.press("#id_password")
    page.goto(f"{base}/leistungen/hundesteuer-anmelden/antrag/")
    journey.check("antrag-start")
    journey.press("#prefill-offer")
    journey.check("einwilligung")
    journey.press("button[name=consent]")
    # back at the start: the place came from the Servicekonto, nothing was typed
    assert page.locator("#place-from-profile").count() == 1
    journey.check("antrag-start-vorausgefuellt")
    journey.press("button[name=begin]")
    assert page.locator("#id-f-familienname").input_value() == "Mustermann"
    assert page.locator("#id-f-anschrift").input_value() == "Hauptstraße 12"
    journey.check("schritt-1")
    journey.press("#id-f-anschrift")
    dog_step(journey)
    journey.check("zusammenfassung")
    journey.tab_to("#id-consent")
    page.keyboard.press("Space")
    journey.press("form button.kern-btn--primary")
    journey.check("eingangsbestaetigung")
    page.goto(f"{base}/postfach/")
    journey.check("postfach")
    journey.press("table a[href^='/postfach/']")
    assert "PDF" in page_html(page)
    journey.check("postfach-nachricht")
    page.goto(f"{base}/antraege/meine/")
    journey.check("meine-antraege")


@pytest.mark.parametrize("english", [False, True], ids=["de", "en"])
def test_citizen_without_account_keyboard_only(live_server, english):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for viewport in (NARROW, WIDE):
            # German browser either way: English comes only from the language switch
            context = browser.new_context(bypass_csp=True, viewport=viewport, locale="de-DE")
            page = context.new_page()
            anonymous_journey(
                page,
                live_server.url,
                name="ohne-konto-en" if english else "ohne-konto",
                english=english,
                shots=not english,
            )
            context.close()
        browser.close()


@pytest.mark.parametrize("english", [False, True], ids=["de", "en"])
def test_citizen_with_account_and_prefill_keyboard_only(live_server, english):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for viewport in (NARROW, WIDE):
            context = browser.new_context(bypass_csp=True, viewport=viewport, locale="de-DE")
            page = context.new_page()
            account_journey(
                page,
                live_server.url,
                name="mit-konto-en" if english else "mit-konto",
                english=english,
                shots=not english,
            )
            context.close()
        browser.close()


def test_accept_language_alone_does_not_switch_to_english(live_server):
    needs("chromium")
    import playwright.sync_api as playwright_api

    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(locale="en-US").new_page()
        page.goto(f"{live_server.url}/")
        assert page.locator("html").get_attribute("lang") == "de"
        browser.close()


def test_first_visit_of_the_start_page_transfers_under_100_kb(settings, tmp_path, monkeypatch):
    """As in production: collected, pre-compressed static files served by whitenoise (no
    test static handler in front), HTML through GZipMiddleware; counted by the browser."""
    needs("chromium")
    import playwright.sync_api as playwright_api
    from pytest_django.live_server_helper import LiveServer

    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", "--noinput", verbosity=0)
    call_command("load-demo", stdout=io.StringIO())
    monkeypatch.setattr("django.contrib.staticfiles.handlers.StaticFilesHandler", lambda app: app)
    server = LiveServer("localhost")
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context(locale="de-DE").new_page()
            page.goto(f"{server.url}/", wait_until="networkidle")
            page.evaluate("document.fonts.ready.then(() => true)")
            entries = page.evaluate(
                """() => [...performance.getEntriesByType('navigation'),
                          ...performance.getEntriesByType('resource')]
                   .map(e => [e.name, e.transferSize, e.decodedBodySize])"""
            )
            browser.close()
    finally:
        server.stop()
    total = sum(size for _name, size, _decoded in entries)
    report = "\n".join(f"{size:>8} {decoded:>8} {name}" for name, size, decoded in entries)
    print(f"first visit of the start page: {total} bytes transferred\n{report}")
    assert any(name.endswith(".woff2") for name, _s, _d in entries), report
    assert total < 100_000, report
