"""The clerk's case page and the Bescheid through the client: the data under the form's own
labels, one audited access per view, the history in sentences, refusals at their field, and
a Bescheid only after preview and confirmation, as tagged PDF with addressee, reasons and
Rechtsbehelfsbelehrung."""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from verbund.applications.models import Submission
from verbund.casework import actions, queries
from verbund.casework.models import Decision
from verbund.catalogue.models import AuthorityServiceText
from verbund.core.errors import Conflict
from verbund.core.models import AuditEntry
from verbund.mailbox.models import Message

pytestmark = pytest.mark.django_db


def _url(case, verb: str = "") -> str:  # type: ignore[no-untyped-def]
    number = case.submission.vorgangsnummer
    if not verb:
        return reverse("casework:case", kwargs={"number": number})
    return reverse("casework:action", kwargs={"number": number, "verb": verb})


def _decision(**changes: str) -> dict[str, str]:
    values = {
        "outcome": "refused",
        "addressee": "Jana Müller\nDomplatz 1\n99084 Erfurt",
        "text": "Der Antrag auf Anmeldung zur Hundesteuer wird abgelehnt.",
        "reasons": "Der Hund ist bereits in Weimar angemeldet.",
    }
    values.update(changes)
    return values


def _pdf_text(pdf: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"\s+", " ", text)


def test_case_page_shows_the_forms_labels_german_dates_and_code_texts(
    client, login_staff, case, staff
):
    # given
    login_staff(client, staff["clerk"])
    # when
    page = client.get(_url(case)).content.decode()
    # then: the form's labels and display values, grouped by its steps; no keys or codes
    angaben = page[page.index('id="angaben"') : page.index("Bearbeiten</h2>")]
    for shown in ("Halterin oder Halter", "Familienname", "Müller", "Gehalten seit", "Anschaffung"):
        assert shown in angaben
    assert re.search(r"\d\d\.\d\d\.\d{4}", angaben)
    for raw in ("familienname", "haltung_seit", "anschaffung", "hunde 1", "gemeinde_itself"):
        assert raw not in page


def test_one_view_logs_one_access_and_the_history_reads_as_sentences(
    client, login_staff, case, staff
):
    login_staff(client, staff["clerk"])
    actions.take_case(case=case, actor=staff["clerk"])
    # when
    page = client.get(_url(case)).content.decode()
    # then
    assert AuditEntry.objects.filter(action="application.decrypted").count() == 1
    history = page[page.index('id="history"') :]
    assert "Vorgang übernommen." in history and "Status geändert: in Bearbeitung." in history
    assert "application." not in history and "casework." not in history


def test_empty_rueckfrage_is_refused_at_its_field(client, login_staff, case, staff):
    login_staff(client, staff["clerk"])
    actions.take_case(case=case, actor=staff["clerk"])
    # when
    response = client.post(_url(case, "rueckfrage"), {"subject": "Nachweis", "body": " "})
    # then: the page again, the error summary links to the field that says what is wrong
    page = response.content.decode()
    assert response.status_code == 422
    assert 'href="#id-body"' in page and 'aria-describedby="id-body-error"' in page
    assert 'value="Nachweis"' in page
    assert Submission.objects.get(pk=case.pk).status == "in_progress"


def test_a_successful_step_says_once_what_happened(client, login_staff, case, staff):
    login_staff(client, staff["clerk"])
    response = client.post(_url(case, "uebernehmen"))
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["Sie haben den Vorgang übernommen; er ist jetzt in Bearbeitung."]
    page = client.get(_url(case)).content.decode()  # rendered by the base template only
    assert page.count("Sie haben den Vorgang übernommen") <= 1


def test_the_bescheid_is_issued_only_after_preview_and_confirmation(
    client, login_staff, case, staff, own
):
    login_staff(client, staff["clerk"])
    actions.take_case(case=case, actor=staff["clerk"])
    # when: the clerk asks for the preview
    preview = client.post(_url(case, "entscheiden"), {**_decision(), "step": "preview"})
    # then: the whole Bescheid is shown; nothing is decided or sent
    page = preview.content.decode()
    assert preview.status_code == 200
    for shown in (own.name, "Jana Müller", "bereits in Weimar", "Rechtsbehelfsbelehrung"):
        assert shown in page
    assert not Decision.objects.filter(case=case).exists()
    assert not Message.objects.filter(submission_id=case.pk, kind="bescheid").exists()
    # when: confirmed
    response = client.post(_url(case, "entscheiden"), {**_decision(), "step": "confirm"})
    # then
    assert response.status_code == 302
    decision = Decision.objects.get(case=case)
    assert decision.outcome == "refused" and decision.generated
    assert Submission.objects.get(pk=case.pk).status == "decided"
    assert Message.objects.filter(submission_id=case.pk, kind="bescheid").count() == 1


def test_the_bescheid_pdf_is_tagged_and_names_authority_addressee_reasons_and_remedy(
    case, staff, own
):
    clerk = staff["clerk"]
    actions.take_case(case=case, actor=clerk)
    # when
    decision = actions.decide_case(case=case, actor=clerk, **_decision())
    # then: PDF/UA-1: structure tree, marked content, language and title
    reader, text = _pdf_text(queries.read_decision(clerk, case, decision))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "de"
    assert case.submission.vorgangsnummer in reader.metadata.title
    assert own.name in text and "Jana Müller" in text and "Domplatz 1" in text
    assert "Begründung" in text and "bereits in Weimar angemeldet" in text
    assert "Rechtsbehelfsbelehrung" in text and "Widerspruch" in text
    assert "innerhalb eines Monats" in text


def test_the_authority_words_its_own_rechtsbehelfsbelehrung(case, staff, own):
    # given: the authority replaced the catalogue's text for this service
    AuthorityServiceText.objects.create(
        service=case.submission.service,
        authority=own,
        rechtsbehelfsbelehrung="Gegen diesen Bescheid kann Klage beim Verwaltungsgericht "
        "Weimar erhoben werden; {behoerde} berät Sie gern.",
    )
    clerk = staff["clerk"]
    actions.take_case(case=case, actor=clerk)
    # when
    decision = actions.decide_case(case=case, actor=clerk, **_decision())
    # then
    _reader, text = _pdf_text(queries.read_decision(clerk, case, decision))
    assert "Klage beim Verwaltungsgericht Weimar" in text
    assert f"{own.name} berät Sie gern" in text


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"text": ""}, "text"), ({"addressee": " "}, "addressee"), ({"reasons": ""}, "reasons")],
)
def test_an_incomplete_bescheid_is_refused_at_its_field(
    client, login_staff, case, staff, changes, field
):
    login_staff(client, staff["clerk"])
    actions.take_case(case=case, actor=staff["clerk"])
    # when: even a forged confirmation of an incomplete Bescheid
    for step in ("preview", "confirm"):
        response = client.post(_url(case, "entscheiden"), {**_decision(**changes), "step": step})
        # then
        page = response.content.decode()
        assert response.status_code == 422
        assert f'href="#id-{field}"' in page and f'id="id-{field}-error"' in page
    assert not Decision.objects.filter(case=case).exists()


def test_a_full_grant_needs_no_reasons(case, staff):
    clerk = staff["clerk"]
    actions.take_case(case=case, actor=clerk)
    decision = actions.decide_case(
        case=case, actor=clerk, **_decision(outcome="granted", reasons="", text="Angemeldet.")
    )
    _reader, text = _pdf_text(queries.read_decision(clerk, case, decision))
    assert "§ 39 Abs. 2 Nr. 1" in text


def test_rejection_has_one_way_the_bescheid(client, login_staff, case, staff):
    login_staff(client, staff["clerk"])
    actions.take_case(case=case, actor=staff["clerk"])
    page = client.get(_url(case)).content.decode()
    assert "Antrag ablehnen" not in page and 'id="id-outcome-refused"' in page
    assert client.post(_url(case, "ablehnen"), {"reason": "x"}).status_code == 404


def test_forwarding_targets_are_grouped_by_kreis_sorted_and_filterable(
    client, login_staff, case, staff, foreign
):
    login_staff(client, staff["clerk"])
    page = client.get(_url(case)).content.decode()
    select = page[page.index('id="id-to"') : page.index("</select>", page.index('id="id-to"'))]
    assert "<optgroup" in select and 'class="kern-form-input__select-wrapper"' in page
    groups = re.findall(r'<optgroup label="([^"]+)"', select)
    assert groups[1:] == sorted(groups[1:], key=str.casefold)
    # when: filtered by a name
    filtered = client.get(_url(case), {"behoerde": "Hanstein"}).content.decode()
    select = filtered[
        filtered.index('id="id-to"') : filtered.index("</select>", filtered.index('id="id-to"'))
    ]
    assert foreign.slug in select and select.count("<option") <= 5


def test_a_further_bescheid_needs_a_decided_case(case, staff):
    # given: the case is still open
    pdf = b"%PDF-1.4\n%%EOF\n"
    # when / then: no further Bescheid before the first decision
    with pytest.raises(Conflict):
        actions.issue_further_decision(
            case=case,
            outcome="granted",
            pdf=pdf,
            filename="x.pdf",
            subject="s",
            body="b",
            actor=staff["clerk"],
        )
    assert not Decision.objects.filter(case=case).exists()
