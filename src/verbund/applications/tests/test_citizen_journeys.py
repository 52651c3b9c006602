"""Issue 14, the citizen's side: once-only start from the Servicekonto, form mechanics,
the access code, the tagged PDF receipt with the data, the receipt in the Postfach, and a
step that fails as a whole."""

from __future__ import annotations

import datetime
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import Client

from verbund.accounts import actions as account_actions
from verbund.accounts.models import User
from verbund.accounts.tests.conftest import PASSWORD, log_in
from verbund.applications import access_codes, actions
from verbund.applications.models import Draft, DraftAttachment, Submission
from verbund.applications.tests.conftest import PDF
from verbund.applications.tests.factories import fill_wohnsitz, start
from verbund.mailbox.models import Message

pytestmark = pytest.mark.django_db

HUNDESTEUER = "/leistungen/hundesteuer-anmelden/antrag/"


@pytest.fixture
def arenshausen_holder(db) -> User:
    """The demo's citizen: Hauptstraße 12, 37318 Arenshausen."""
    return account_actions.upsert_account(
        username="anna.arenshausen@example.org",
        email="anna.arenshausen@example.org",
        kind=User.Kind.CITIZEN,
        actor="test",
        password=PASSWORD,
        profile={
            "given_name": "Anna",
            "family_name": "Hartung",
            "birth_date": datetime.date(1980, 2, 3),
            "street": "Hauptstraße 12",
            "postal_code": "37318",
            "city": "Arenshausen",
        },
    )


def consent(client: Client, offer_url: str) -> str:
    """Give the consent on the accounts page; returns where the browser goes back to."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(offer_url).query).items()}
    response = client.post(urlsplit(offer_url).path, {**query, "field": query["fields"].split(",")})
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def test_holder_starts_with_place_name_and_address_from_the_servicekonto(arenshausen_holder):
    # given: a logged-in holder opens the form without a place
    client = Client()
    log_in(client, arenshausen_holder.email)
    page = client.get(HUNDESTEUER).content.decode()
    offer = re.search(r'id="prefill-offer" href="([^"]+)"', page)
    assert offer, "the Servicekonto offer comes before any PLZ"
    asked = parse_qs(urlsplit(offer.group(1).replace("&amp;", "&")).query)["fields"][0]
    assert {"postal_code", "city", "family_name", "street"} <= set(asked.split(","))
    # when: she consents, she is back at the start with her place resolved, typing nothing
    back = consent(client, offer.group(1).replace("&amp;", "&"))
    page = client.get(back).content.decode()
    assert 'id="place-from-profile"' in page and "37318 Arenshausen" in page
    assert "Zuständig" in page and 'name="begin"' in page
    token = parse_qs(urlsplit(back).query)["prefill_consent"][0]
    response = client.post(
        HUNDESTEUER,
        {"plz": "37318", "ort": "Arenshausen", "ags": "", "prefill_consent": token, "begin": "1"},
    )
    # then: the draft starts for Arenshausen with name and address from the profile
    assert response.status_code == 302, response.content.decode()[:2000]
    step = client.get(response["Location"]).content.decode()
    assert 'value="Hartung"' in step and 'value="Hauptstraße 12"' in step
    assert "Arenshausen" in step
    draft = Draft.objects.get(owner=arenshausen_holder)
    assert draft.place_plz == "37318" and draft.data["familienname"] == "Hartung"


def test_the_finders_answer_carries_into_the_start():
    client = Client()
    finder = client.get("/leistungen/hundesteuer-anmelden/zustaendigkeit", {"ags": "16061001"})
    link = re.search(
        r'id="online-antrag"><a class="kern-btn kern-btn--primary" href="([^"]+)"',
        finder.content.decode(),
    )
    assert link, finder.content.decode()[:3000]
    page = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert "Zuständig" in page and 'name="begin"' in page


def hunde_step(client: Client) -> str:
    step1 = start(client, "hundesteuer-anmelden", ags="16061001")
    response = client.post(
        step1,
        {
            "f-familienname": "Hartung",
            "f-vornamen": "Anna",
            "f-anschrift": "Hauptstraße 12",
            "action": "next",
        },
    )
    assert response.status_code == 302
    return str(response["Location"])


def test_enter_continues_and_errors_come_first_and_name_the_field(client):
    step2 = hunde_step(client)
    page = client.get(step2).content.decode()
    form = page[page.index('<form method="post" enctype') :]
    first_submit = re.search(r'<button type="submit"[^>]*>', form).group(0)
    assert 'value="next"' in first_submit, "Enter in a field must continue, not add a dog"
    response = client.post(
        step2,
        {
            "n-f-hunde": "1",
            "f-hunde-0-name": "Bello",
            "f-hunde-0-chipnummer": "12345",
            "action": "next",
        },
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert html.index('id="fehler"') < html.index("zustaendig-titel")
    assert re.search(r'id="fehler"[^>]*autofocus', html)
    assert "„Transpondernummer“: Bitte geben Sie 15 Ziffern ein." in html


def test_failed_step_leaves_the_draft_unchanged(client, monkeypatch):
    summary = fill_wohnsitz(client, start(client))
    base = summary.rsplit("/zusammenfassung/", 1)[0]
    draft = Draft.objects.get(pk=base.rsplit("/", 1)[1])
    before = dict(draft.data)
    attachment = DraftAttachment.objects.get(draft=draft)

    def broken(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(actions, "save_draft", broken)
    with pytest.raises(DatabaseError):
        client.post(
            f"{base}/schritt/4/",
            {
                "remove-f-wohnungsgeberbestaetigung": "1",
                "f-kontakt_email": "neu@example.org",
                "action": "save",
            },
        )
    # the removal of the file was rolled back with the failed save
    assert DraftAttachment.objects.filter(pk=attachment.pk).exists()
    draft.refresh_from_db()
    assert draft.data == before


def test_access_codes_are_readable_and_forgiving_and_old_ones_still_work():
    code = access_codes.new_access_code()
    assert len(code) == 20 and not set(code) & set("01ILOilo")
    shown = access_codes.format_access_code(code)
    assert re.fullmatch(r"([A-Z2-9]{4} ){4}[A-Z2-9]{4}", shown)
    stored = access_codes.code_hash(code)
    for typed in (shown, shown.lower(), shown.replace(" ", "-"), f"  {code.lower()} "):
        assert access_codes.access_code_matches(typed, stored)
    assert not access_codes.access_code_matches(
        code[:-1] + "X" if code[-1] != "X" else code[:-1] + "Y", stored
    )
    assert not access_codes.access_code_matches("", stored)
    old = "aB3-_xYz0lO1IqRsTuVwXyZ9"  # secrets.token_urlsafe(18), case-sensitive
    old_hash = access_codes.code_hash(old)
    assert access_codes.access_code_matches(old, old_hash)
    assert access_codes.access_code_matches(access_codes.format_access_code(old), old_hash)
    assert not access_codes.access_code_matches(old.upper(), old_hash)


def submitted(client: Client, **extra: str) -> tuple[str, str]:
    summary = fill_wohnsitz(client, start(client))
    response = client.post(summary, {"consent": "1", **extra})
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"]), response["Location"].split("/")[2]


def test_receipt_says_what_next_with_a_grouped_code_and_no_checksum(client):
    receipt_url, number = submitted(client)
    html = client.get(receipt_url).content.decode()
    submission = Submission.objects.get(vorgangsnummer=number)
    assert submission.data_sha256 not in html and "SHA-256" not in html
    assert 'id="wie-weiter"' in html and 'id="bearbeitungsdauer"' in html
    code = re.search(r'<code id="zugangscode">([^<]+)<', html).group(1)
    assert " " in code and 'class="verbund-code"' in html
    # issued in the readable format: five groups of four without look-alike characters
    assert re.fullmatch(r"([A-HJKMNP-Z2-9]{4} ){4}[A-HJKMNP-Z2-9]{4}", code), code
    # typed back in the clear, without the display's spaces (lower case: see the unit test;
    # codes of the earlier format stay case-sensitive)
    lookup = client.get("/vorgang/status/").content.decode()
    assert 'id="id-zugangscode"' in lookup and 'type="password"' not in lookup
    stranger = Client()
    response = stranger.post(
        "/vorgang/status/", {"vorgangsnummer": number, "zugangscode": code.replace(" ", "")}
    )
    assert response.status_code == 302
    # and forgiving when typed back: lower case with hyphens
    again = Client()
    typed = code.lower().replace(" ", "-")
    response = again.post("/vorgang/status/", {"vorgangsnummer": number, "zugangscode": typed})
    assert response.status_code == 302


def test_pdf_receipt_is_tagged_and_holds_the_data_with_labels(client):
    from pypdf import PdfReader

    receipt_url, number = submitted(client)
    response = client.get(f"/vorgang/{number}/eingangsbestaetigung.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"] is True or str(root["/MarkInfo"]["/Marked"]) == "True"
    assert str(root["/Lang"]).startswith("de")
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Familienname" in text and "Muster" in text and "Erika" in text
    assert "Anmeldung einer Wohnung" in text or "Wohnung" in text
    assert "wohnsitz-anmelden v" not in text and "f-personen" not in text
    code = re.search(r'<code id="zugangscode">([^<]+)<', client.get(receipt_url).content.decode())
    assert code and code.group(1) in text


def test_anonymous_applicant_gets_the_code_by_mail(client, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    before = DBTaskResult.objects.count()
    receipt_url, number = submitted(client, email="erika@example.org")
    mails = DBTaskResult.objects.filter(task_path__endswith="deliver_mail")
    assert DBTaskResult.objects.count() > before
    body = " ".join(str(t.args_kwargs) for t in mails)
    assert number in body and "erika@example.org" in body and "Zugangscode" in body
    html = client.get(receipt_url).content.decode()
    code = re.search(r'<code id="zugangscode">([^<]+)<', html).group(1)
    assert code in body


def test_invalid_receipt_address_is_said_on_the_summary(client):
    summary = fill_wohnsitz(client, start(client))
    response = client.post(summary, {"consent": "1", "email": "kein-at-zeichen"})
    assert response.status_code == 422
    assert 'href="#id-email"' in response.content.decode()
    assert not Submission.objects.filter(source_draft_id=summary.split("/")[2]).exists()


def test_account_holder_finds_the_receipt_in_the_postfach_at_once(arenshausen_holder):
    client = Client()
    log_in(client, arenshausen_holder.email)
    _receipt_url, number = submitted(client)
    message = Message.objects.get(submission__vorgangsnummer=number)
    assert message.recipient_id == arenshausen_holder.pk
    assert "Eingangsbestätigung" in message.subject
    attachment = message.attachments.get()
    assert attachment.media_type == "application/pdf"
    page = client.get(f"/postfach/{message.pk}/").content.decode()
    assert "(PDF, " in page and "(application/pdf" not in page


def test_postfach_access_form_describes_with_existing_ids(client):
    html = client.post(
        "/postfach/vorgang/", {"vorgangsnummer": "VB-2026-XXXX-YYYY", "zugangscode": ""}
    ).content.decode()
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    for described in re.findall(r'aria-describedby="([^"]+)"', html):
        for target in described.split():
            assert target in ids, target
    assert 'type="password"' not in html


def test_step_upload_still_works_after_the_refactoring(client):
    step = start(client)
    base = step.rsplit("/schritt/", 1)[0]
    response = client.post(
        f"{base}/schritt/4/",
        {"f-wohnungsgeberbestaetigung": SimpleUploadedFile("wgb.pdf", PDF), "action": "save"},
    )
    assert response.status_code == 302
    assert DraftAttachment.objects.filter(draft_id=base.rsplit("/", 1)[1]).count() == 1
