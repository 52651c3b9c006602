"""Fees paid through the XBezahldienste interface, against a payment platform that the test
starts (xbezahldienste_server.py): request, redirect, return, status query, signed
notifications (wrong, duplicate, late), cancellation, timeouts and reconciliation."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.utils import timezone

from verbund.applications import actions
from verbund.applications.actions import payment as payment_actions
from verbund.applications.models import Payment, Submission
from verbund.applications.tests import xbezahldienste_server as xb
from verbund.applications.tests.factories import start
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform(settings):
    server = xb.XBezahldiensteServer()
    settings.VERBUND_PAYMENT_PROVIDER = "xbezahldienste"
    settings.VERBUND_XBEZAHLDIENSTE_URL = server.base
    settings.VERBUND_XBEZAHLDIENSTE_ORIGINATOR_ID = xb.ORIGINATOR
    settings.VERBUND_XBEZAHLDIENSTE_ENDPOINT_ID = xb.ENDPOINT
    settings.VERBUND_XBEZAHLDIENSTE_TOKEN_URL = f"{server.url}/token"
    settings.VERBUND_XBEZAHLDIENSTE_CLIENT_ID = xb.CLIENT_ID
    settings.VERBUND_XBEZAHLDIENSTE_CLIENT_SECRET = xb.CLIENT_SECRET
    settings.VERBUND_PAYMENT_SECRET = "gemeinsames-geheimnis"
    settings.VERBUND_PAYMENT_TIMEOUT = 5
    server.notify_secret = actions.payment_secret()
    payment_actions._xbezahldienste.cache_clear()
    yield server
    payment_actions._xbezahldienste.cache_clear()
    server.close()


def submit_with_fee(client: Client) -> Submission:
    """An Anwohnerparkausweis (61,40 €) at Erfurt, submitted and waiting for its fee."""
    base = start(client, "anwohnerparkausweis", ags="16051000").rsplit("/schritt/", 1)[0]
    client.post(
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
    response = client.post(f"{base}/zusammenfassung/", {"consent": "1"})
    return Submission.objects.get(vorgangsnummer=response["Location"].split("/")[2])


def notify(client: Client, platform, transaction_id: str, secret: bytes | None = None) -> int:  # type: ignore[no-untyped-def]
    """The platform's notification, delivered to Verbund's endpoint; the HTTP status."""
    body, signature = platform.notification(transaction_id, secret=secret)
    return client.post(
        "/zahlung/meldung/",
        data=body,
        content_type="application/json",
        HTTP_X_VERBUND_SIGNATURE=signature,
    ).status_code


def pay_page(client: Client, submission: Submission):  # type: ignore[no-untyped-def]
    return client.post(f"/vorgang/{submission.vorgangsnummer}/bezahlen/")


def transaction_of(payment: Payment) -> str:
    payment.refresh_from_db()
    return payment.provider_reference


def test_the_payer_is_sent_to_the_platform_and_the_status_query_releases_the_submission(
    client, platform
):
    submission = submit_with_fee(client)
    assert submission.status == Submission.Status.AWAITING_PAYMENT

    # when: the applicant goes to pay
    response = pay_page(client, submission)

    # then: the platform holds a PaymentRequest as the interface describes it, and the payer
    # is sent to its pay page
    payment = Payment.objects.get(submission=submission)
    transaction = platform.transactions[transaction_of(payment)]
    request = transaction["paymentRequest"]
    assert response.status_code == 302
    assert response["Location"] == transaction["paymentInformation"]["transactionRedirectUrl"]
    assert request["requestId"] == payment.request_id
    assert Decimal(request["grosAmount"]) == Decimal("61.40") == payment.amount
    assert request["currency"] == "EUR"
    assert request["purpose"] == f"Vorgang {submission.vorgangsnummer}"[:27]
    assert request["redirectUrl"].endswith(
        f"/vorgang/{submission.vorgangsnummer}/bezahlen/zurueck/"
    )
    assert request["items"][0]["bookingData"] == {"vorgangsnummer": submission.vorgangsnummer}

    # when: the payer comes back without having paid, nothing is released
    client.get(f"/vorgang/{submission.vorgangsnummer}/bezahlen/zurueck/")
    submission.refresh_from_db()
    assert submission.released_at is None

    # when: the payer pays on the pay page and comes back
    page = requests.get(response["Location"], params={"action": "pay"}, allow_redirects=False)
    back = page.headers["Location"]
    before = platform.status_queries()
    client.get("/" + back.split("/", 3)[3])

    # then: Verbund asked the platform (the return alone proves nothing) and released it
    assert platform.status_queries() == before + 1
    payment.refresh_from_db()
    submission.refresh_from_db()
    assert payment.status == "PAYED" and payment.payment_method == "CREDITCARD"
    assert payment.paid_at is not None
    assert submission.status == Submission.Status.RECEIVED and submission.released_at


def test_notifications_need_the_signature_and_count_once(client, platform):
    submission = submit_with_fee(client)
    pay_page(client, submission)
    payment = Payment.objects.get(submission=submission)
    transaction_id = transaction_of(payment)
    platform.settle(transaction_id, "pay")

    # a notification with a wrong signature is refused and makes Verbund ask nothing
    before = platform.status_queries()
    assert notify(client, platform, transaction_id, secret=b"falsch") == 403
    assert platform.status_queries() == before
    submission.refresh_from_db()
    assert submission.released_at is None

    # the signed one makes Verbund ask the platform, which says PAYED
    assert notify(client, platform, transaction_id) == 200
    assert platform.status_queries() == before + 1
    submission.refresh_from_db()
    assert submission.status == Submission.Status.RECEIVED

    # the same notification again changes nothing and audits nothing new
    audits = AuditEntry.objects.filter(action__startswith="application.").count()
    assert notify(client, platform, transaction_id) == 200
    assert AuditEntry.objects.filter(action__startswith="application.").count() == audits
    assert Payment.objects.get(pk=payment.pk).status == "PAYED"

    # a signed notification for an unknown transaction is refused
    platform.transactions["unbekannt"] = {
        "paymentInformation": {"transactionId": "unbekannt", "status": "PAYED"},
        "paymentRequest": {"requestId": "x"},
    }
    assert notify(client, platform, "unbekannt") == 404


def test_cancel_then_pay_anew_and_a_late_payment_of_the_first_is_flagged(client, platform):
    submission = submit_with_fee(client)
    pay_page(client, submission)
    first = Payment.objects.get(submission=submission)
    platform.settle(transaction_of(first), "cancel")
    client.get(f"/vorgang/{submission.vorgangsnummer}/bezahlen/zurueck/")
    first.refresh_from_db()
    assert first.status == "CANCELED"
    submission.refresh_from_db()
    assert submission.status == Submission.Status.AWAITING_PAYMENT

    # a new payment request; this one is paid
    pay_page(client, submission)
    second = Payment.objects.filter(submission=submission).exclude(pk=first.pk).get()
    platform.settle(transaction_of(second), "pay")
    assert notify(client, platform, second.provider_reference) == 200
    submission.refresh_from_db()
    assert submission.released_at is not None

    # a late notification: the first (cancelled) transaction was paid after all
    platform.settle(first.provider_reference, "pay")
    assert notify(client, platform, first.provider_reference) == 200
    first.refresh_from_db()
    assert first.status == "PAYED"
    late = AuditEntry.objects.filter(action="application.payment_status").order_by("-pk").first()
    assert late is not None and late.details.get("late") is True
    assert AuditEntry.objects.filter(action="application.payment_twice").exists()


def test_an_abandoned_payment_expires_in_reconciliation_and_a_late_payment_still_counts(
    client, platform, settings
):
    submission = submit_with_fee(client)
    pay_page(client, submission)
    payment = Payment.objects.get(submission=submission)

    # reconciliation: still INITIAL at the platform, not yet expired
    counts = actions.reconcile_payments(actor="test")
    assert counts == {"checked": 1, "changed": 0, "expired": 0, "unreachable": 0}

    # two hours later it is cancelled here
    later = timezone.now() + datetime.timedelta(minutes=settings.VERBUND_PAYMENT_EXPIRY_MINUTES + 1)
    out = io.StringIO()
    assert actions.reconcile_payments(actor="test", now=later)["expired"] == 1
    payment.refresh_from_db()
    assert payment.status == "CANCELED" and payment.status_detail == "abgelaufen"

    # the payer had paid after all: the late notification releases the submission
    platform.settle(payment.provider_reference, "pay")
    assert notify(client, platform, payment.provider_reference) == 200
    submission.refresh_from_db()
    assert submission.released_at is not None
    call_command("reconcile-payments", stdout=out)
    assert "0 offene Zahlungen" in out.getvalue()


def test_a_provider_that_does_not_answer_in_time_gives_a_german_message(client, platform, settings):
    settings.VERBUND_PAYMENT_TIMEOUT = 1
    payment_actions._xbezahldienste.cache_clear()
    platform.delay = 3
    submission = submit_with_fee(client)

    response = pay_page(client, submission)

    assert response.status_code == 503
    assert "Der Bezahldienst ist gerade nicht erreichbar" in response.content.decode()
    payment = Payment.objects.get(submission=submission)
    assert payment.status == "FAILED"
    submission.refresh_from_db()
    assert submission.status == Submission.Status.AWAITING_PAYMENT
    # once the platform answers again, the applicant can pay
    platform.delay = 0
    assert pay_page(client, submission).status_code == 302


def test_a_status_with_another_amount_changes_nothing(client, platform):
    submission = submit_with_fee(client)
    pay_page(client, submission)
    payment = Payment.objects.get(submission=submission)
    transaction_id = transaction_of(payment)
    platform.settle(transaction_id, "pay")
    platform.transactions[transaction_id]["paymentRequest"]["grosAmount"] = "1.00"

    assert notify(client, platform, transaction_id) == 422

    payment.refresh_from_db()
    submission.refresh_from_db()
    assert payment.status == "INITIAL" and submission.released_at is None


def test_the_platform_refuses_a_request_id_twice(platform):
    from verbund.integrations.payment import PaymentItem, PaymentRequest, ProviderRefused

    provider = actions.payment_provider()
    request = PaymentRequest(
        request_id="a" * 32,
        amount=Decimal("5.00"),
        currency="EUR",
        purpose="Vorgang 1",
        description="Test",
        redirect_url="http://127.0.0.1/zurueck/",
        items=(PaymentItem("1", "x", "Gebühr", Decimal("5.00")),),
    )
    provider.start(request)
    with pytest.raises(ProviderRefused) as refused:
        provider.start(request)
    assert refused.value.code == "PAYMENT_EXISTS"


def test_the_deployment_check_refuses_the_test_provider(settings):
    settings.VERBUND_PAYMENT_PROVIDER = "test"
    with pytest.raises(SystemCheckError, match=r"payment\.E001"):
        call_command(
            "check", "--deploy", "--fail-level", "ERROR", stdout=io.StringIO(), stderr=io.StringIO()
        )


def make_pki(folder):  # type: ignore[no-untyped-def]
    """A CA, a server certificate for 127.0.0.1 and a client certificate (PEM with key)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def issue(subject, key, issuer, issuer_key, *, ca=False, san=None):  # type: ignore[no-untyped-def]
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if san is not None:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def pem(key) -> bytes:  # type: ignore[no-untyped-def]
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = issue(
        name("Bezahlplattform Test-CA"), ca_key, name("Bezahlplattform Test-CA"), ca_key, ca=True
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = issue(
        name("127.0.0.1"),
        server_key,
        ca.subject,
        ca_key,
        san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = issue(name("verbund-test-verfahren"), client_key, ca.subject, ca_key)
    encoding = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(encoding))
    (folder / "server.pem").write_bytes(server.public_bytes(encoding) + pem(server_key))
    (folder / "client.pem").write_bytes(client.public_bytes(encoding) + pem(client_key))
    return folder / "ca.pem", folder / "server.pem", folder / "client.pem"


def test_epaybl_style_access_with_a_tls_client_certificate(client, settings, tmp_path, monkeypatch):
    import ssl

    ca, server_pem, client_pem = make_pki(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
    tls.verify_mode = ssl.CERT_REQUIRED
    tls.load_cert_chain(str(server_pem))
    server = xb.XBezahldiensteServer(tls=tls)
    try:
        settings.VERBUND_PAYMENT_PROVIDER = "xbezahldienste"
        settings.VERBUND_XBEZAHLDIENSTE_URL = server.base
        settings.VERBUND_XBEZAHLDIENSTE_ORIGINATOR_ID = xb.ORIGINATOR
        settings.VERBUND_XBEZAHLDIENSTE_ENDPOINT_ID = xb.ENDPOINT
        settings.VERBUND_XBEZAHLDIENSTE_TOKEN_URL = ""
        settings.VERBUND_XBEZAHLDIENSTE_CLIENT_CERT = str(client_pem)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))  # the platform's CA, as operators set it
        payment_actions._xbezahldienste.cache_clear()
        submission = submit_with_fee(client)

        response = pay_page(client, submission)

        assert response.status_code == 302 and response["Location"].startswith("https://127.0.0.1")
        payment = Payment.objects.get(submission=submission)
        server.settle(transaction_of(payment), "pay")
        client.get(f"/vorgang/{submission.vorgangsnummer}/bezahlen/zurueck/")
        submission.refresh_from_db()
        assert submission.released_at is not None
        # without the client certificate the platform does not even complete the handshake
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(
                f"{server.base}paymenttransaction/{xb.ORIGINATOR}/{xb.ENDPOINT}/x",
                verify=str(ca),
                timeout=10,
            )
    finally:
        payment_actions._xbezahldienste.cache_clear()
        server.close()


def test_the_deployment_check_wants_a_complete_xbezahldienste_setup(settings):
    from verbund.integrations.payment.checks import check_payment_provider

    settings.VERBUND_PAYMENT_PROVIDER = "xbezahldienste"
    settings.VERBUND_XBEZAHLDIENSTE_URL = ""
    assert [m.id for m in check_payment_provider()] == ["payment.E002"]
    settings.VERBUND_XBEZAHLDIENSTE_URL = "https://epay.example.invalid/konnektor/"
    settings.VERBUND_XBEZAHLDIENSTE_ORIGINATOR_ID = "verfahren"
    settings.VERBUND_XBEZAHLDIENSTE_ENDPOINT_ID = "16051000"
    settings.VERBUND_PAYMENT_SECRET = None
    assert [m.id for m in check_payment_provider()] == ["payment.E003"]
    settings.VERBUND_PAYMENT_SECRET = "vereinbart"
    assert check_payment_provider() == []
