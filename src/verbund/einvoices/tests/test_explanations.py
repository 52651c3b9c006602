"""The report in German for suppliers: explanations per rule, business-term names, the value
found; "nur prüfen" stores nothing; a rejection gives no receipt number but help on the
Leitweg-ID."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from verbund.authorities.rules import make_leitweg_id
from verbund.core.testing import needs
from verbund.einvoices import explanations, validation
from verbund.einvoices.models import Invoice, UploadAttempt
from verbund.einvoices.tests.conftest import leitweg_of


def _broken(data: bytes) -> bytes:
    """BR-CO-10 (line sum) and BR-DE-28 (seller e-mail) broken."""
    data = re.sub(
        rb'(<cac:LegalMonetaryTotal>\s*<cbc:LineExtensionAmount currencyID="EUR">)[^<]*',
        rb"\g<1>999.99",
        data,
    )
    return re.sub(rb"<cbc:ElectronicMail>[^<]*", b"<cbc:ElectronicMail>kaputt", data, count=1)


def test_every_br_de_rule_of_the_rule_files_has_a_german_explanation():
    # given: the XRechnung Schematron in use
    sources = Path(settings.VERBUND_EINVOICE_RULES).rglob("*.sch")
    ids = set()
    for source in sources:
        ids |= set(re.findall(r'id="(BR-DE-[0-9]+(?:-[a-z])?)"', source.read_text("utf-8")))
    assert len(ids) > 25
    # then
    assert sorted(i for i in ids if not explanations.explanation_for(i)) == []


@pytest.mark.django_db
def test_findings_are_explained_with_terms_and_the_value_found(ubl_for, hanstein):
    report = validation.validate(_broken(ubl_for(hanstein)))
    found = {f.rule: f for f in explanations.explain(report.to_dict()["findings"], report.xml)}
    line_sum = found["BR-CO-10"]
    assert line_sum.explanation.startswith("Die Summe der Positionsbeträge stimmt nicht")
    assert ("BT-106", "Summe der Nettobeträge aller Positionen") in line_sum.terms
    assert "BT-106: 999.99" in line_sum.value
    assert found["BR-DE-28"].value == "BT-43: kaputt"
    assert "[BR-CO-10]" in line_sum.message  # the rule's own text stays available


def _post(client, data: bytes, mode: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/e-rechnung/", {"document": SimpleUploadedFile("r.xml", data), "mode": mode}
    )


@pytest.mark.django_db
def test_check_only_stores_nothing_and_gives_no_receipt_number(client, ubl_for, hanstein):
    stored = Invoice.objects.count()
    # when
    response = _post(client, _broken(ubl_for(hanstein)), "check")
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Die Rechnung würde abgelehnt" in page and "nicht gespeichert" in page
    assert "Die Summe der Positionsbeträge stimmt nicht" in page
    assert "<details" in page and "[BR-CO-10]" in page
    assert 'id="invoice-id"' not in page and "Eingegangen am" not in page
    assert Invoice.objects.count() == stored
    # and a valid one says where it would go
    page = _post(client, ubl_for(hanstein), "check").content.decode()
    assert "Die Rechnung würde angenommen" in page and hanstein.name in page
    assert Invoice.objects.count() == stored
    assert UploadAttempt.objects.count() == 2  # the throttle still counts them


@pytest.mark.django_db
def test_a_rejected_upload_shows_no_receipt_data_but_leitweg_help(client, ubl_for):
    # when: the Leitweg-ID belongs to no authority on the platform
    response = _post(client, ubl_for(str(make_leitweg_id("16999999", "0001"))), "submit")
    # then
    page = response.content.decode()
    assert "Die Rechnung wurde abgelehnt" in page
    assert "Eingangsnummer" not in page and "Eingegangen am" not in page
    assert 'href="/e-rechnung/leitweg-ids/"' in page


@pytest.mark.django_db
def test_the_leitweg_id_directory_lists_and_searches_authorities(client, hanstein, erfurt):
    page = client.get("/e-rechnung/leitweg-ids/").content.decode()
    assert leitweg_of(hanstein) in page and leitweg_of(erfurt) in page
    found = client.get("/e-rechnung/leitweg-ids/", {"q": "Hanstein"}).content.decode()
    assert leitweg_of(hanstein) in found and leitweg_of(erfurt) not in found


def test_an_attachment_is_shown_by_its_attributes_and_a_wrong_value_is_explained_as_such():
    # given: an official invoice with a 200 KB attachment, once with a wrong mimeCode, once
    # with its base64 one letter short
    from lxml import etree

    from verbund.einvoices.validation.engine import ATTACHMENTS

    needs("rules")
    suite = Path(settings.VERBUND_EINVOICE_RULES) / "testsuite"
    data = next(suite.rglob("01.01_comprehensive_test_ubl.xml")).read_bytes()
    root = etree.fromstring(data)
    attachment = next(root.iter(*ATTACHMENTS))
    attachment.set("mimeCode", "application/x-unbekannt")
    wrong_type = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    attachment.set("mimeCode", "application/pdf")
    attachment.text = attachment.text.strip()[1:]
    short = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    # when
    report = validation.validate(wrong_type)
    mime = {f.rule: f for f in explanations.explain(report.to_dict()["findings"], report.xml)}
    report = validation.validate(short)
    (schema,) = explanations.explain(report.to_dict()["findings"], report.xml)
    # then: the value shown is what the rule checks, not the base64
    filename = attachment.get("filename")
    assert mime["BR-CL-24"].value == (
        f"Anhang; Dateityp (mimeCode): application/x-unbekannt; Dateiname: {filename}"
    )
    assert schema.rule == "XSD" and schema.explanation.startswith(
        "Die Datei entspricht nicht dem XML-Schema: Ein Wert hat nicht die vorgeschriebene Form"
    )
    assert "Base64" in schema.explanation
    # the schema's path ("/*/…") leads to the attachment too
    assert schema.location.startswith("/*/")
    assert schema.value == f"Anhang; Dateityp (mimeCode): application/pdf; Dateiname: {filename}"
    # a facet's refusal is about a value as well; a structural finding keeps the general text
    facet = "Element 'a': [facet 'pattern'] The value 'x' is not accepted by the pattern '[0-9]+'."
    assert "vorgeschriebene Form" in explanations.explanation_for("XSD", facet)
    assert "falschen Stelle" in explanations.explanation_for("XSD", "This element is not expected")
