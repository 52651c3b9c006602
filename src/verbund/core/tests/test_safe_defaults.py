"""Issue 11, finding 10: unsafe defaults do not reach production.

Demo accounts come only from `make demo`/`verbund load-demo`; `verbund check --deploy` fails on
each unsafe setting; every page carries a strict Content-Security-Policy (no 'unsafe-inline')
and the pages still work under it in a real browser; HTTPS settings are on unless DEBUG.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import URLPattern, URLResolver, get_resolver

from verbund.accounts.models import User
from verbund.authorities.models import EncryptionKey, KeyProtection

SRC = Path(__file__).resolve().parents[2]


def make_target(name: str) -> str:
    """The recipe of one target of the Makefile."""
    makefile = (SRC.parents[1] / "Makefile").read_text()
    # a target may be declared several times (`demo: export …` lines, then its recipe)
    recipes = re.findall(rf"^{name}:(?! export)[^\n]*\n((?:\t[^\n]*\n)*)", makefile, re.M)
    return "".join(recipes)


def test_make_setup_loads_no_demo_accounts_only_make_demo_does():
    assert "verbund setup" in make_target("setup")
    assert "load-demo" not in make_target("setup")
    assert "load-demo" in make_target("demo")


def deploy_check() -> str:
    """The output of `verbund check --deploy`, failing at errors; "" when it passes."""
    try:
        call_command(
            "check", "--deploy", "--fail-level", "ERROR", stdout=io.StringIO(), stderr=io.StringIO()
        )
    except SystemCheckError as exc:
        return str(exc)
    return ""


@pytest.mark.django_db
def test_check_deploy_fails_on_every_unsafe_default(settings):
    # given: the demo's configuration (debug, console mail, plain http, test payments) and
    # its data (demo accounts, authority keys the platform wraps)
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.SESSION_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.VERBUND_PAYMENT_PROVIDER = "test"
    assert User.objects.filter(email__iendswith="demo.verbund.invalid").exists()
    EncryptionKey.objects.filter(active=True).update(protection=KeyProtection.PLATFORM)
    # when
    output = deploy_check()
    # then: each one is named
    for check_id in (
        "verbund.E001",
        "verbund.E002",
        "verbund.E003",
        "verbund.E004",
        "verbund.E005",
        "payment.E001",
    ):
        assert check_id in output, output


@pytest.mark.django_db
def test_check_deploy_passes_a_safe_installation(settings):
    # given: production settings and no demo data
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.VERBUND_PAYMENT_PROVIDER = "xbezahldienste"
    settings.VERBUND_XBEZAHLDIENSTE_URL = "https://zahlung.example.invalid/"
    settings.VERBUND_XBEZAHLDIENSTE_ORIGINATOR_ID = "verbund"
    settings.VERBUND_XBEZAHLDIENSTE_ENDPOINT_ID = "kasse"
    settings.VERBUND_PAYMENT_SECRET = "x" * 40
    settings.VERBUND_KEY_CUSTODY = "staff"
    User.objects.filter(email__iendswith="demo.verbund.invalid").update(email="person@example.org")
    EncryptionKey.objects.filter(protection=KeyProtection.PLATFORM).update(
        protection=KeyProtection.STAFF
    )
    # when
    output = deploy_check()
    # then
    assert "verbund.E" not in output and "payment.E" not in output, output


def test_without_debug_the_settings_default_to_https(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERBUND_HTTPS", "DEBUG"))}
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_SSL_REDIRECT, s.CONTENT_SECURITY_POLICY['DIRECTIVES']['frame-ancestors'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "verbund.settings.base",
            "VERBUND_STATE_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["True", "True", "31536000", "True", "[\"'none'\"]"]


def parameterless_pages() -> list[str]:
    """Every URL pattern without a parameter (GET), plus a page that does not exist."""
    found = []

    def walk(patterns: list[object], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if "<" not in route and "(?P" not in route and "^" not in route:
                    found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return [*sorted(set(found)), "/gibt-es-nicht/"]


@pytest.mark.django_db
def test_every_page_carries_a_strict_content_security_policy(client):
    pages = parameterless_pages()
    assert len(pages) > 30
    for path in pages:
        response = client.get(path)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy, (path, response.status_code)
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy, path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path


# Templates named `*_pdf.html` are rendered to PDF by WeasyPrint, never served as a page.
PDF_SUFFIX = "_pdf.html"
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>|<style\b|\sstyle=|\son[a-z]+=",
    re.I,
)


def test_no_template_has_inline_script_or_style():
    offenders = []
    for template in sorted(SRC.rglob("templates/**/*.html")):
        if template.name.endswith(PDF_SUFFIX):
            continue
        for number, line in enumerate(template.read_text().splitlines(), 1):
            if INLINE.search(line):
                offenders.append(f"{template.relative_to(SRC)}:{number}")
    assert offenders == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_work_in_a_real_browser_under_the_policy(live_server):
    """Chromium reports every blocked inline script or style; the pages' own stylesheets
    and scripts still load."""
    from verbund.applications.tests.test_browser import ARGS, CHROMIUM
    from verbund.core.testing import needs, page_html

    needs("chromium")
    import playwright.sync_api as playwright_api

    from verbund.accounts.demo import DEMO_PASSWORD

    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    violations: list[str] = []
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="de-DE")
        page.on(
            "console",
            lambda message: (
                violations.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        for path in (
            "/",
            "/gebiete/",
            "/leistungen/",
            "/e-rechnung/",
            "/konto/anmelden/",
            "/api/docs",
            "/admin/login/",
            "/gibt-es-nicht/",
        ):
            response = page.goto(live_server.url + path)
            assert response is not None
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        # the Swagger UI (static scripts) rendered the API
        page.goto(f"{live_server.url}/api/docs")
        page.wait_for_selector(".swagger-ui .info", timeout=20000)
        # the account page: passkeys.js and the inline forms' class from verbund.css
        page.goto(f"{live_server.url}/konto/anmelden/")
        page.get_by_label("E-Mail-Adresse").fill("erika.mustermann@demo.verbund.invalid")
        page.get_by_label("Passwort").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Anmelden", exact=True).click()
        page.wait_for_url("**/konto/")
        assert "Konto" in page_html(page)
        kern_loaded = page.evaluate(
            "getComputedStyle(document.querySelector('.verbund-skip-link')).position"
        )
        assert kern_loaded != "static"
        browser.close()
    assert violations == []
    assert django_settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]
