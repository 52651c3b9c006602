import datetime
import json
from pathlib import Path

import pytest

from verbund.accounts.models import User
from verbund.applications import queries, sealing
from verbund.applications.models import Draft, Payment, Submission
from verbund.applications.tests.factories import fill_wohnsitz, start
from verbund.authorities.models import Authority, EncryptionKey, StaffMembership
from verbund.core import tasks
from verbund.core.errors import NotFound
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def submit(client, summary_url):
    return client.post(summary_url, {"consent": "1"})


def test_start_resolves_the_authority_before_the_form(client):
    response = client.get("/leistungen/wohnsitz-anmelden/antrag/", {"ags": "16061001"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Verwaltungsgemeinschaft Hanstein-Rusteberg" in html
    assert "Antrag beginnen" in html


def test_unknown_place_is_a_clear_error(client):
    response = client.get("/leistungen/wohnsitz-anmelden/antrag/", {"plz": "1234"})
    assert response.status_code == 422
    assert "keine Postleitzahl" in response.content.decode()


def test_empty_plz_at_the_start_is_a_linked_error(client):
    first = client.get("/leistungen/wohnsitz-anmelden/antrag/").content.decode()
    assert 'id="fehler"' not in first
    response = client.get("/leistungen/wohnsitz-anmelden/antrag/", {"plz": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="fehler"' in html
    assert (
        '<a class="kern-link" href="#id-plz">'
        "Bitte geben Sie die Postleitzahl Ihres Wohnorts ein.</a>" in html
    )
    assert 'aria-invalid="true" aria-describedby="id-plz-error"' in html
    assert 'id="id-plz-error"' in html


def test_wohnsitz_end_to_end_encrypted_for_the_authority(client):
    step_url = start(client)
    page = client.get(step_url).content.decode()
    assert "Stadtverwaltung Erfurt" in page and "Schritt 1 von 5" in page
    summary = fill_wohnsitz(client, step_url)
    html = client.get(summary).content.decode()
    assert "Muster" in html and "keine Gebühr" in html
    audits = AuditEntry.objects.count()
    response = submit(client, summary)
    assert response.status_code == 302
    number = response["Location"].split("/")[2]
    submission = Submission.objects.get(vorgangsnummer=number)
    assert submission.status == Submission.Status.RECEIVED and submission.released_at
    assert submission.authority.name == "Stadtverwaltung Erfurt"
    assert submission.basis and submission.form_version.definition.key == "wohnsitz-anmelden"
    assert (
        "Muster" not in submission.encrypted_data
        and not Draft.objects.filter(service=submission.service).exists()
    )
    assert AuditEntry.objects.filter(
        action="application.submitted", object_id=str(submission.pk)
    ).exists()
    assert AuditEntry.objects.count() > audits
    receipt = client.get(response["Location"]).content.decode()
    # the checksum is for the authority and the audit, not for the citizen (issue 14)
    assert number in receipt and submission.data_sha256 not in receipt and "Zugangscode" in receipt
    pdf = client.get(f"/vorgang/{number}/eingangsbestaetigung.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # the authority's staff decrypt it; the record matches what was entered
    clerk = User.objects.create_user("clerk-erfurt", kind="staff")
    StaffMembership.objects.create(user=clerk, authority=submission.authority)
    opened = queries.decrypt_submission_for_staff(clerk, number)
    person = opened.data["personen"][0]
    assert person["familienname"] == "Muster" and opened.data["strasse"] == "Anger"
    assert sealing.sha256_hex(sealing.canonical_json(opened.document)) == submission.data_sha256
    assert (
        opened.attachments[0].content.startswith(b"%PDF")
        and opened.attachments[0].filename == "wgb.pdf"
    )
    # staff of another authority cannot even find it
    other = User.objects.create_user("clerk-jena", kind="staff")
    StaffMembership.objects.create(
        user=other, authority=Authority.objects.get(slug="stadtverwaltung-jena-16053000")
    )
    with pytest.raises(NotFound):
        queries.decrypt_submission_for_staff(other, number)


def test_tampered_ciphertext_is_rejected(client):
    summary = fill_wohnsitz(client, start(client))
    number = submit(client, summary)["Location"].split("/")[2]
    submission = Submission.objects.get(vorgangsnummer=number)
    header, key, iv, ciphertext, tag = submission.encrypted_data.split(".")
    flipped = "A" if ciphertext[10] != "A" else "B"
    submission.encrypted_data = ".".join(
        [header, key, iv, ciphertext[:10] + flipped + ciphertext[11:], tag]
    )
    submission.save()
    clerk = User.objects.create_user("clerk", kind="staff")
    StaffMembership.objects.create(user=clerk, authority=submission.authority)
    with pytest.raises(queries.IntegrityFailure):
        queries.decrypt_submission_for_staff(clerk, number)


def test_without_consent_nothing_is_stored(client):
    summary = fill_wohnsitz(client, start(client))
    before = Submission.objects.count()
    response = client.post(summary, {})
    assert response.status_code == 422
    assert "bestätigen" in response.content.decode()
    assert Submission.objects.count() == before


def test_own_name_and_address_fields_carry_autocomplete(client):
    """WCAG 1.3.5: the applicant's own data names its purpose; later persons' rows do not."""
    base = start(client).rsplit("/schritt/", 1)[0]
    html = client.get(f"{base}/schritt/2/").content.decode()
    assert 'id="id-f-bisher_strasse"' in html
    assert 'autocomplete="street-address"' in html
    assert 'autocomplete="postal-code"' in html
    assert 'autocomplete="address-level2"' in html
    response = client.post(f"{base}/schritt/3/", {"n-f-personen": "2", "action": "add:personen"})
    html = client.get(f"{base}/schritt/3/").content.decode()
    assert 'id="id-f-personen-1-familienname"' in html, response.status_code
    first = html[html.index('id="id-f-personen-0-familienname"') :]
    first = first[: first.index(">")]
    assert 'autocomplete="family-name"' in first
    second = html[html.index('id="id-f-personen-1-familienname"') :]
    second = second[: second.index(">")]
    assert "autocomplete=" not in second
    assert html.count('autocomplete="given-name"') == 1
    assert html.count('autocomplete="bday"') == 1
    html = client.get(f"{base}/schritt/4/").content.decode()
    assert 'autocomplete="email"' in html


def test_birth_date_in_the_future_is_refused_naming_the_field(client):
    base = start(client).rsplit("/schritt/", 1)[0]
    future = (datetime.date.today() + datetime.timedelta(days=400)).isoformat()
    response = client.post(
        f"{base}/schritt/3/",
        {
            "n-f-personen": "1",
            "f-personen-0-familienname": "Muster",
            "f-personen-0-vornamen": "Erika",
            "f-personen-0-geburtsdatum": future,
            "f-personen-0-geschlecht": "w",
            "f-personen-0-verheiratet": "false",
            "action": "next",
        },
    )
    assert response.status_code == 422
    assert "Das Geburtsdatum darf nicht in der Zukunft liegen." in response.content.decode()


def test_gewerbe_birth_date_in_the_future_says_so_not_volljaehrig():
    from verbund.applications import formschema

    spec = json.loads(
        (Path(formschema.__file__).parent / "forms" / "gewerbe-anmelden.json").read_text()
    )
    rules = [
        r
        for step in spec["steps"]
        for r in step.get("rules", [])
        if r.get("field") == "geburtsdatum"
    ]
    # The "not in the future" rule comes first, so a 2030 date is not called "minderjährig".
    assert rules[0]["max"] == "today"
    assert rules[0]["message"] == "Das Geburtsdatum darf nicht in der Zukunft liegen."


def test_step_errors_are_german_and_linked(client):
    step_url = start(client)
    response = client.post(
        step_url, {"f-plz": "12", "f-einzugsdatum": "31.02.2026", "action": "next"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'href="#id-f-strasse"' in html and "Bitte füllen Sie „Straße“ aus." in html
    assert "gültiges Datum" in html and 'aria-invalid="true"' in html


def test_repeat_group_grows_without_javascript(client):
    base = start(client).rsplit("/schritt/", 1)[0]
    response = client.post(f"{base}/schritt/3/", {"n-f-personen": "1", "action": "add:personen"})
    assert response.status_code == 200
    assert 'name="f-personen-1-familienname"' in response.content.decode()


def test_wrong_file_type_is_refused_by_content(client):
    base = start(client).rsplit("/schritt/", 1)[0]
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"{base}/schritt/4/",
        {
            "f-wohnungsgeberbestaetigung": SimpleUploadedFile("wgb.pdf", b"MZ\x90\x00 not a pdf"),
            "action": "next",
        },
    )
    assert response.status_code == 422
    assert "keine erlaubte Datei" in response.content.decode()


def test_draft_resume_link_by_mail(client, mailoutbox):
    step_url = start(client)
    draft_id = step_url.split("/")[2]
    response = client.post(f"/antraege/{draft_id}/spaeter/", {"email": "erika@example.org"})
    assert response.status_code == 302
    assert mailoutbox == []  # sent by the worker, not inside the request
    assert tasks.run_pending() == 1
    link = next(line for line in mailoutbox[0].body.splitlines() if "/fortsetzen/" in line)
    other = client.__class__()
    assert other.get(step_url).status_code == 404
    assert other.get(link.replace("http://testserver", "")).status_code == 302
    assert other.get(step_url).status_code == 200


def test_expired_drafts_are_deleted(client, django_capture_on_commit_callbacks):
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    summary = fill_wohnsitz(client, start(client))
    draft = Draft.objects.get(pk=summary.split("/")[2])
    name = draft.attachments.get().storage_name
    Draft.objects.filter(pk=draft.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("delete-expired-drafts", stdout=__import__("io").StringIO())
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert not queries.attachment_storage().exists(name)
    assert client.get(summary).status_code == 404


def test_fee_is_paid_before_release(client):
    step = start(client, "anwohnerparkausweis", ags="16051000")
    base = step.rsplit("/schritt/", 1)[0]
    import datetime

    response = client.post(
        f"{base}/schritt/1/",
        {
            "f-parkgebiet": "A1",
            "f-kennzeichen": "EF-AB 123",
            "f-halter_ist_antragsteller": "true",
            "f-dauer_monate": "24",
            "f-beginn": datetime.date.today().isoformat(),
            "action": "next",
        },
    )
    assert response.status_code == 302
    summary = client.get(f"{base}/zusammenfassung/").content.decode()
    assert "61,40 €" in summary
    response = client.post(f"{base}/zusammenfassung/", {"consent": "1"})
    number = response["Location"].split("/")[2]
    submission = Submission.objects.get(vorgangsnummer=number)
    assert (
        submission.status == Submission.Status.AWAITING_PAYMENT and submission.released_at is None
    )
    pay = client.post(f"/vorgang/{number}/bezahlen/")
    payment = Payment.objects.get(submission=submission)
    assert pay["Location"] == f"/zahlung/test/{payment.request_id}/"
    # a forged callback changes nothing
    forged = client.post(
        "/zahlung/rueckmeldung/",
        data=json.dumps(
            {"requestId": payment.request_id, "status": "PAYED", "grossAmount": "61.40"}
        ),
        content_type="application/json",
        HTTP_X_VERBUND_SIGNATURE="0" * 64,
    )
    assert forged.status_code == 400
    submission.refresh_from_db()
    assert submission.released_at is None
    client.post(pay["Location"], {"outcome": "pay"})
    submission.refresh_from_db()
    payment.refresh_from_db()
    assert payment.status == "PAYED" and submission.status == "received" and submission.released_at


def test_status_by_number_and_access_code(client):
    summary = fill_wohnsitz(client, start(client))
    receipt_url = submit(client, summary)["Location"]
    html = client.get(receipt_url).content.decode()
    secret = html.split('<code id="zugangscode">')[1].split("<")[0]
    number = receipt_url.split("/")[2]
    stranger = client.__class__()
    assert stranger.get(receipt_url).status_code == 404
    assert (
        stranger.post(
            "/vorgang/status/", {"vorgangsnummer": number, "zugangscode": "falsch"}
        ).status_code
        == 404
    )
    response = stranger.post("/vorgang/status/", {"vorgangsnummer": number, "zugangscode": secret})
    assert response.status_code == 302
    assert "eingegangen" in stranger.get(receipt_url).content.decode()


def test_egov_foerderung_is_applied_for_by_staff_for_their_authority(client, login_staff):
    applicant = Authority.objects.get(slug="stadtverwaltung-jena-16053000")
    staff = User.objects.create_user("digital-jena", kind="staff")
    StaffMembership.objects.create(user=staff, authority=applicant)
    assert client.get("/leistungen/egov-foerderung/antrag/").status_code == 403
    login_staff(client, staff)
    response = client.post(
        "/leistungen/egov-foerderung/antrag/", {"applicant_authority": applicant.slug, "begin": "1"}
    )
    assert response.status_code == 302
    draft = Draft.objects.get(pk=response["Location"].split("/")[2])
    assert draft.authority.slug == "tmdi" and draft.applicant_authority == applicant
    assert draft.data["kommune"] == applicant.name
    # another authority's slug is refused
    response = client.post(
        "/leistungen/egov-foerderung/antrag/", {"applicant_authority": "tmdi", "begin": "1"}
    )
    assert response.status_code == 422


def test_keys_are_generated_lazily():
    assert EncryptionKey.objects.count() < 5


def test_service_page_offers_the_online_application_only_with_a_form(client):
    with_form = client.get("/leistungen/wohnsitz-anmelden/").content.decode()
    assert 'href="/leistungen/wohnsitz-anmelden/antrag/"' in with_form
    without = client.get("/leistungen/grabstelle/").content.decode()
    assert "/leistungen/grabstelle/antrag/" not in without
