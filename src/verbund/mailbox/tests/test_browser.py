"""The anonymous Postfach once in Debian's chromium (headless), against a live server:
open with number and code, read the Rückfrage, answer with a file."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from verbund.applications.tests.conftest import PDF
from verbund.applications.tests.test_browser import ARGS, CHROMIUM
from verbund.core.testing import needs, page_html
from verbund.mailbox import actions
from verbund.mailbox.actions import MessageKind, OutgoingAttachment
from verbund.mailbox.models import Message, Reply
from verbund.mailbox.tests.conftest import submit_case


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_anonymous_applicant_answers_a_rueckfrage_in_a_real_browser(live_server, tmp_path):
    needs("chromium")
    import playwright.sync_api as playwright_api

    call_command("load-demo", stdout=io.StringIO())  # live_server's tables start empty
    case = submit_case(Client())
    message = actions.post_message(
        submission=case.submission,
        sender_authority=case.submission.authority,
        kind=MessageKind.RUECKFRAGE,
        subject="Bitte Mietvertrag nachreichen",
        body="Uns fehlt eine Seite.",
        attachments=[OutgoingAttachment("hinweis.pdf", "application/pdf", PDF)],
        reply_requested=True,
        actor="test",
    )
    upload = tmp_path / "mietvertrag.pdf"
    upload.write_bytes(PDF)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="de-DE")
        page.goto(f"{live_server.url}/postfach/vorgang/")
        page.get_by_label("Vorgangsnummer").fill(case.number)
        page.get_by_label("Zugangscode").fill("falsch")
        page.get_by_role("button", name="Postfach öffnen").click()
        assert "kein Postfach" in page_html(page)
        page.get_by_label("Zugangscode").fill(case.secret)
        page.get_by_role("button", name="Postfach öffnen").click()
        page.get_by_role("link", name="Bitte Mietvertrag nachreichen").click()
        assert page.get_by_role("heading", name="Bitte Mietvertrag nachreichen").is_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="hinweis.pdf").click()
        assert download.value.suggested_filename == "hinweis.pdf"
        page.get_by_label("Ihre Antwort").fill("Anbei die fehlende Seite.")
        page.get_by_label("Dateien beifügen").set_input_files(str(upload))
        page.get_by_role("button", name="Antwort senden").click()
        assert "verschlüsselt an die Behörde gesendet" in page_html(page)
        browser.close()
    assert Message.objects.get(pk=message.pk).read_at is not None
    reply = Reply.objects.get(message=message)
    assert reply.attachments.count() == 1
