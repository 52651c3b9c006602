"""axe-core runs inside Debian's chromium against the live platform and reports what it finds."""

from __future__ import annotations

import pytest

from verbund.applications.tests.test_browser import ARGS, CHROMIUM
from verbund.core.testing import axe_violations, needs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_axe_runs_in_the_browser_and_reports_a_missing_label(live_server):
    needs("chromium")
    import playwright.sync_api as playwright_api

    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(bypass_csp=True).new_page()
        page.goto(f"{live_server.url}/")
        assert isinstance(axe_violations(page), list)
        # when: a field without a label is added to the page, axe names the rule
        page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input>')")
        assert any(line.startswith("label ") for line in axe_violations(page))
        browser.close()
