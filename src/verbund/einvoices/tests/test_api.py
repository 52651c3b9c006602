"""The API contract: validate (200 for every examinable document, 4xx otherwise, never
500) and receive (API key; 201 received, 422 rejected with the findings)."""

from __future__ import annotations

import pytest

from verbund.einvoices import actions
from verbund.einvoices.models import Invoice, InvoiceStatus
from verbund.einvoices.tests.conftest import CII

pytestmark = pytest.mark.django_db

VALIDATE = "/api/v1/einvoices/validate"
RECEIVE = "/api/v1/einvoices"

HOSTILE = {
    "xxe": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    "billion_laughs": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b"<l>&c;</l>",
    "not_xml": b"Rechnung Nr. 1: 100 EUR",
    "broken": b"<Invoice><cbc:ID>1</Invoice>",
    "empty": b"",
}


@pytest.fixture
def api_key() -> str:
    _, key = actions.issue_api_key(
        name="Lieferant GmbH", contact_email="edi@lieferant.example", actor="test"
    )
    return key


def test_valid_invoice_validates_with_200(client, suite):
    data = (suite / "business-cases/standard/01.01a-INVOICE_ubl.xml").read_bytes()
    response = client.post(VALIDATE, data, content_type="application/xml")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"valid", "syntax", "scenario", "findings"}
    assert body["valid"] is True and body["syntax"] == "UBL"
    assert all(f["severity"] != "fatal" for f in body["findings"])


def test_cii_invoice_validates_with_200(client, suite):
    data = (suite / CII).read_bytes()
    response = client.post(VALIDATE, data, content_type="application/xml")
    assert response.status_code == 200
    assert response.json()["syntax"] == "CII"


def test_invalid_invoice_validates_with_200_and_its_findings(client, suite):
    data = (suite / "business-cases/standard/01.01a-INVOICE_ubl.xml").read_bytes()
    data = data.replace(b"<cbc:BuyerReference>", b"<!--").replace(b"</cbc:BuyerReference>", b"-->")
    response = client.post(VALIDATE, data, content_type="application/xml")
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    fatal = [f for f in body["findings"] if f["severity"] == "fatal"]
    assert "BR-DE-15" in {f["rule"] for f in fatal}
    assert all(f["message"] and f["location"] for f in fatal)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_non_xml_input_gets_a_problem_not_a_500(client, name):
    response = client.post(VALIDATE, HOSTILE[name], content_type="application/xml")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] and problem["title"]


def test_oversized_body_gets_413(client, settings):
    settings.VERBUND_EINVOICE_MAX_BYTES = 100
    response = client.post(VALIDATE, b"<a>" + b" " * 200 + b"</a>", content_type="application/xml")
    assert response.status_code == 413


def test_receive_requires_an_api_key(client, ubl_for, hanstein):
    response = client.post(RECEIVE, ubl_for(hanstein), content_type="application/xml")
    assert response.status_code == 401
    response = client.post(
        RECEIVE, ubl_for(hanstein), content_type="application/xml", HTTP_X_API_KEY="vbe_0000_x"
    )
    assert response.status_code == 401
    assert not Invoice.objects.filter(authority=hanstein, channel="api").exists()


def test_revoked_api_key_is_refused(client, ubl_for, hanstein):
    key_row, key = actions.issue_api_key(name="Alt", actor="test")
    actions.revoke_api_key(api_key=key_row, actor="test")
    response = client.post(
        RECEIVE, ubl_for(hanstein), content_type="application/xml", HTTP_X_API_KEY=key
    )
    assert response.status_code == 401


def test_receive_routes_and_answers_201(client, api_key, ubl_for, hanstein):
    response = client.post(
        RECEIVE, ubl_for(hanstein), content_type="application/xml", HTTP_X_API_KEY=api_key
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == InvoiceStatus.RECEIVED and body["authority"] == hanstein.slug
    invoice = Invoice.objects.get(pk=body["id"])
    assert invoice.channel == "api" and invoice.api_key is not None
    assert invoice.supplier_email == "edi@lieferant.example"
    # the same file again: the first receipt, 200
    again = client.post(
        RECEIVE, ubl_for(hanstein), content_type="application/xml", HTTP_X_API_KEY=api_key
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_rejected_invoice_answers_422_with_reasons_and_findings(client, api_key, suite):
    data = (suite / "business-cases/standard/01.01a-INVOICE_ubl.xml").read_bytes()
    data = data.replace(b"<cbc:BuyerReference>", b"<!--").replace(b"</cbc:BuyerReference>", b"-->")
    response = client.post(RECEIVE, data, content_type="application/xml", HTTP_X_API_KEY=api_key)
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "abgelehnt" and body["authority"] is None
    assert body["rejectionReasons"]
    assert "BR-DE-15" in {f["rule"] for f in body["findings"]}


def test_receive_unexaminable_gets_a_problem(client, api_key):
    response = client.post(
        RECEIVE, HOSTILE["xxe"], content_type="application/xml", HTTP_X_API_KEY=api_key
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_staff_list_shows_own_invoices_only(
    client, login_staff, api_key, ubl_for, hanstein, erfurt, clerk_erfurt
):
    own = client.post(
        RECEIVE, ubl_for(erfurt), content_type="application/xml", HTTP_X_API_KEY=api_key
    )
    other = client.post(
        RECEIVE, ubl_for(hanstein), content_type="application/xml", HTTP_X_API_KEY=api_key
    )
    assert client.get(RECEIVE).status_code == 401
    login_staff(client, clerk_erfurt)
    ids = {i["id"] for i in client.get(RECEIVE).json()}
    assert own.json()["id"] in ids and other.json()["id"] not in ids
    assert client.get(f"{RECEIVE}/{own.json()['id']}").status_code == 200
    assert client.get(f"{RECEIVE}/{other.json()['id']}").status_code == 404


def test_public_validate_is_limited_per_address_with_a_problem_and_retry_after(
    client, suite, settings
):
    settings.VERBUND_EINVOICE_VALIDATE_LIMIT = 2
    data = (suite / "business-cases/standard/01.01a-INVOICE_ubl.xml").read_bytes()
    for _ in range(2):
        assert client.post(VALIDATE, data, content_type="application/xml").status_code == 200
    response = client.post(VALIDATE, data, content_type="application/xml")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["Retry-After"] == str(settings.VERBUND_EINVOICE_UPLOAD_WINDOW)
    assert response.json()["code"] == "rate_limited"
    # Another address still gets its checks.
    other = client.post(VALIDATE, data, content_type="application/xml", REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200


def test_validate_with_a_supplier_key_is_not_limited(client, suite, settings, api_key):
    settings.VERBUND_EINVOICE_VALIDATE_LIMIT = 1
    data = (suite / "business-cases/standard/01.01a-INVOICE_ubl.xml").read_bytes()
    for _ in range(3):
        response = client.post(
            VALIDATE, data, content_type="application/xml", HTTP_X_API_KEY=api_key
        )
        assert response.status_code == 200
    # A wrong key counts as anonymous.
    assert (
        client.post(VALIDATE, data, content_type="application/xml", HTTP_X_API_KEY="vbe_x_y")
    ).status_code == 200
    assert (
        client.post(VALIDATE, data, content_type="application/xml", HTTP_X_API_KEY="vbe_x_y")
    ).status_code == 429


def test_api_checks_do_not_use_up_the_upload_allowance(client, suite, settings):
    from verbund.einvoices import queries

    settings.VERBUND_EINVOICE_VALIDATE_LIMIT = 1
    settings.VERBUND_EINVOICE_UPLOAD_LIMIT = 1
    data = (suite / "business-cases/standard/01.01a-INVOICE_ubl.xml").read_bytes()
    client.post(VALIDATE, data, content_type="application/xml")
    assert queries.upload_throttled("127.0.0.1", "validate")
    assert not queries.upload_throttled("127.0.0.1")
