"""The Postfach pages through the client: holders, strangers, anonymous applicants."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from verbund.accounts.tests.conftest import log_in
from verbund.applications.tests.conftest import PDF
from verbund.mailbox import actions
from verbund.mailbox.actions import MessageKind, OutgoingAttachment
from verbund.mailbox.models import AccessFailure, Message, Reply, ReplyAttachment
from verbund.mailbox.tests.conftest import make_citizen

pytestmark = pytest.mark.django_db

BESCHEID = PDF + b"% Bescheid\n"


def post(case, **overrides):
    fields = {
        "submission": case.submission,
        "sender_authority": case.submission.authority,
        "kind": MessageKind.RUECKFRAGE,
        "subject": "Bitte Nachweis nachreichen",
        "body": "Uns fehlt die Wohnungsgeberbestätigung.",
        "reply_requested": True,
        "actor": "system",
    }
    return actions.post_message(**{**fields, **overrides})


def test_holder_reads_a_message_and_the_receipt_is_recorded(holder_client, holder_case):
    message = post(
        holder_case,
        kind=MessageKind.BESCHEID,
        subject="Ihr Bescheid",
        attachments=[OutgoingAttachment("Bescheid 2026.pdf", "application/pdf", BESCHEID)],
    )
    listing = holder_client.get("/postfach/").content.decode()
    assert "Ihr Bescheid" in listing and "ungelesen" in listing and "data-unread" in listing
    page = holder_client.get(f"/postfach/{message.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Uns fehlt die Wohnungsgeberbestätigung." in html and "Bescheid 2026.pdf" in html
    assert Message.objects.get(pk=message.pk).read_at is not None
    assert "ungelesen" not in holder_client.get("/postfach/").content.decode()
    attachment = message.attachments.get()
    download = holder_client.get(f"/postfach/{message.pk}/anhang/{attachment.pk}/")
    assert download.status_code == 200 and download.content == BESCHEID
    assert download["Content-Type"] == "application/pdf"
    assert "Bescheid%202026.pdf" in download["Content-Disposition"]


def test_another_holder_and_strangers_get_nothing(holder_case):
    message = post(
        holder_case,
        attachments=[OutgoingAttachment("bescheid.pdf", "application/pdf", BESCHEID)],
    )
    attachment = message.attachments.get()
    other = make_citizen("otto.anders@example.org", "Otto", "Anders")
    client = Client()
    log_in(client, other.email)
    for url in [
        f"/postfach/{message.pk}/",
        f"/postfach/{message.pk}/anhang/{attachment.pk}/",
    ]:
        assert client.get(url).status_code == 404
        assert client.post(url, {"body": "Fremd"}).status_code == 404
    assert "Bitte Nachweis" not in client.get("/postfach/").content.decode()
    stranger = Client()
    response = stranger.get(f"/postfach/{message.pk}/")
    assert response.status_code == 302 and "/konto/anmelden/" in response["Location"]
    # anonymous access does not open an account holder's case
    response = stranger.post(
        "/postfach/vorgang/",
        {"vorgangsnummer": holder_case.number, "zugangscode": holder_case.secret},
    )
    assert response.status_code == 404
    assert Message.objects.get(pk=message.pk).read_at is None
    assert not Reply.objects.exists()


def test_reply_with_a_file_without_javascript(holder_client, holder_case):
    message = post(holder_case)
    response = holder_client.post(
        f"/postfach/{message.pk}/",
        {"body": "Anbei.", "attachments": [SimpleUploadedFile("nachweis.pdf", PDF)]},
    )
    assert response.status_code == 302
    page = holder_client.get(response["Location"]).content.decode()
    assert "verschlüsselt an die Behörde gesendet" in page and "mit 1 Datei" in page
    reply = Reply.objects.get()
    assert reply.message == message and reply.attachments.count() == 1


def test_bad_upload_shows_a_german_field_error_and_stores_nothing(holder_client, holder_case):
    message = post(holder_case)
    response = holder_client.post(
        f"/postfach/{message.pk}/",
        {
            "body": "Anbei.",
            "attachments": [SimpleUploadedFile("virus.pdf", b"MZ\x90\x00\x03 kein PDF")],
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Bitte prüfen Sie Ihre Angaben" in html
    assert "„virus.pdf“ ist keine erlaubte Datei" in html
    assert 'href="#id_attachments"' in html and 'id="id_attachments-error"' in html
    file_input = html.split('type="file"')[1].split(">")[0]
    assert 'aria-invalid="true"' in file_input
    assert 'aria-describedby="id_attachments-hint id_attachments-error"' in file_input
    assert not Reply.objects.exists() and not ReplyAttachment.objects.exists()
    empty = holder_client.post(f"/postfach/{message.pk}/", {"body": ""})
    assert empty.status_code == 422
    assert "Bitte schreiben Sie eine Antwort" in empty.content.decode()


def test_reply_form_says_one_of_text_or_file_is_needed(holder_client, holder_case):
    message = post(holder_case)
    html = holder_client.get(f"/postfach/{message.pk}/").content.decode()
    form = html[html.index('id="antworten-form"') :]
    assert "(optional)" not in form
    assert '<div class="kern-hint" id="id_body-hint">' in form
    assert "Eines von beiden ist nötig." in form
    textarea = form.split("<textarea")[1].split(">")[0]
    assert 'aria-describedby="id_body-hint"' in textarea
    empty = holder_client.post(f"/postfach/{message.pk}/", {"body": ""}).content.decode()
    textarea = empty.split("<textarea")[1].split(">")[0]
    assert 'aria-describedby="id_body-hint id_body-error"' in textarea


def test_anonymous_applicant_opens_the_case_postfach_with_number_and_code(anonymous_case):
    message = post(
        anonymous_case,
        attachments=[OutgoingAttachment("bescheid.pdf", "application/pdf", BESCHEID)],
    )
    client = Client()
    wrong = client.post(
        "/postfach/vorgang/",
        {"vorgangsnummer": anonymous_case.number, "zugangscode": "falsch"},
    )
    assert wrong.status_code == 404
    assert "kein Postfach" in wrong.content.decode()
    assert client.get(f"/postfach/vorgang/{anonymous_case.number}/").status_code == 404
    response = client.post(
        "/postfach/vorgang/",
        {"vorgangsnummer": anonymous_case.number.lower(), "zugangscode": anonymous_case.secret},
    )
    assert response.status_code == 302
    listing = client.get(response["Location"]).content.decode()
    assert "Bitte Nachweis nachreichen" in listing and "ungelesen" in listing
    base = f"/postfach/vorgang/{anonymous_case.number}/{message.pk}/"
    assert "Wohnungsgeberbestätigung" in client.get(base).content.decode()
    assert Message.objects.get(pk=message.pk).read_at is not None
    attachment = message.attachments.get()
    assert client.get(f"{base}anhang/{attachment.pk}/").content == BESCHEID
    answer = client.post(
        base, {"body": "Hier ist sie.", "attachments": [SimpleUploadedFile("wgb.pdf", PDF)]}
    )
    assert answer.status_code == 302
    reply = Reply.objects.get()
    assert reply.author_id is None and reply.submission == anonymous_case.submission
    # the notification address is optional and checked
    bad = client.post(f"/postfach/vorgang/{anonymous_case.number}/", {"email": "keine-adresse"})
    assert bad.status_code == 422 and "gültige E-Mail-Adresse" in bad.content.decode()
    ok = client.post(f"/postfach/vorgang/{anonymous_case.number}/", {"email": "a@example.org"})
    assert ok.status_code == 302


def test_anonymous_access_is_rate_limited(anonymous_case, settings):
    settings.VERBUND_POSTFACH_THROTTLE_FAILURES = 3
    client = Client()
    for _ in range(3):
        response = client.post(
            "/postfach/vorgang/",
            {"vorgangsnummer": anonymous_case.number, "zugangscode": "geraten"},
        )
        assert response.status_code == 404
    assert AccessFailure.objects.count() == 3
    # now even the right code waits until the window has passed
    blocked = client.post(
        "/postfach/vorgang/",
        {"vorgangsnummer": anonymous_case.number, "zugangscode": anonymous_case.secret},
    )
    assert blocked.status_code == 429
    assert "Zu viele erfolglose Versuche" in blocked.content.decode()
    AccessFailure.objects.update(at="2000-01-01T00:00:00Z")
    allowed = client.post(
        "/postfach/vorgang/",
        {"vorgangsnummer": anonymous_case.number, "zugangscode": anonymous_case.secret},
    )
    assert allowed.status_code == 302


def test_address_rate_limit_covers_every_number(anonymous_case, settings):
    settings.VERBUND_POSTFACH_THROTTLE_IP_FAILURES = 2
    client = Client(REMOTE_ADDR="192.0.2.7")
    for number in ["VB-2026-AAAA-AAAA", "VB-2026-BBBB-BBBB"]:
        client.post("/postfach/vorgang/", {"vorgangsnummer": number, "zugangscode": "x"})
    blocked = client.post(
        "/postfach/vorgang/",
        {"vorgangsnummer": anonymous_case.number, "zugangscode": anonymous_case.secret},
    )
    assert blocked.status_code == 429
    other_address = Client(REMOTE_ADDR="192.0.2.8").post(
        "/postfach/vorgang/",
        {"vorgangsnummer": anonymous_case.number, "zugangscode": anonymous_case.secret},
    )
    assert other_address.status_code == 302


def test_pages_speak_english(holder_client, holder_case):
    message = post(holder_case)
    holder_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    listing = holder_client.get("/postfach/").content.decode()
    assert "Mailbox" in listing and "unread" in listing and "Request for information" in listing
    page = holder_client.get(f"/postfach/{message.pk}/").content.decode()
    assert "Reply to the authority (requested)" in page and "Send reply" in page
    assert "My applications and mailbox" in holder_client.get("/konto/").content.decode()
    anonymous = Client()
    anonymous.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Open mailbox" in anonymous.get("/postfach/vorgang/").content.decode()


def test_guessing_from_elsewhere_never_locks_out_the_holder_of_the_right_code(
    anonymous_case, settings
):
    # Issue 11, finding 15: an attacker guesses far beyond the limit from one address
    settings.VERBUND_POSTFACH_THROTTLE_FAILURES = 3
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    answers = [
        attacker.post(
            "/postfach/vorgang/",
            {"vorgangsnummer": anonymous_case.number, "zugangscode": f"geraten-{n}"},
        ).status_code
        for n in range(6)
    ]
    assert answers == [404, 404, 404, 429, 429, 429]
    # the applicant with the right code from their own connection still gets in
    holder = Client(REMOTE_ADDR="198.51.100.20")
    response = holder.post(
        "/postfach/vorgang/",
        {"vorgangsnummer": anonymous_case.number, "zugangscode": anonymous_case.secret},
    )
    assert response.status_code == 302


def test_the_status_lookup_is_throttled_per_client(anonymous_case, settings):
    settings.VERBUND_POSTFACH_THROTTLE_FAILURES = 3
    attacker = Client(REMOTE_ADDR="203.0.113.67")
    answers = [
        attacker.post(
            "/vorgang/status/",
            {"vorgangsnummer": anonymous_case.number, "zugangscode": f"geraten-{n}"},
        ).status_code
        for n in range(5)
    ]
    assert answers == [404, 404, 404, 429, 429]
    holder = Client(REMOTE_ADDR="198.51.100.21")
    response = holder.post(
        "/vorgang/status/",
        {"vorgangsnummer": anonymous_case.number, "zugangscode": anonymous_case.secret},
    )
    assert response.status_code == 302
