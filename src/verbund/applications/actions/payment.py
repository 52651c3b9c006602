"""Fees: payments through the provider (XBezahldienste or the test provider); a status is
believed only from the provider's status query, and a paid submission is released."""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from verbund.applications import extensions
from verbund.applications.models import (
    Payment,
    Submission,
)
from verbund.core.audit import Actor, record_audit
from verbund.core.errors import Conflict, DomainError, InvalidInput, NotFound
from verbund.integrations import payment as payment_api
from verbund.integrations.payment import xbezahldienste
from verbund.integrations.payment.testprovider import TestPaymentProvider


class PaymentUnavailable(DomainError):
    """The payment provider cannot be reached or is not set up; the applicant tries later."""

    status = 503
    code = "payment_unavailable"


def payment_provider(name: str | None = None) -> payment_api.PaymentProvider:
    """The configured provider: XBezahldienste, or the demo's built-in test provider."""
    name = name or settings.VERBUND_PAYMENT_PROVIDER
    if name == "test":
        return TestPaymentProvider()
    if name == "xbezahldienste":
        if not (
            settings.VERBUND_XBEZAHLDIENSTE_URL
            and settings.VERBUND_XBEZAHLDIENSTE_ORIGINATOR_ID
            and settings.VERBUND_XBEZAHLDIENSTE_ENDPOINT_ID
        ):
            raise PaymentUnavailable(
                _(
                    "Die Online-Bezahlung ist noch nicht eingerichtet. "
                    "Bitte wenden Sie sich an die Behörde."
                )
            )
        return _xbezahldienste(
            xbezahldienste.Config(
                base_url=settings.VERBUND_XBEZAHLDIENSTE_URL,
                originator_id=settings.VERBUND_XBEZAHLDIENSTE_ORIGINATOR_ID,
                endpoint_id=settings.VERBUND_XBEZAHLDIENSTE_ENDPOINT_ID,
                token_url=settings.VERBUND_XBEZAHLDIENSTE_TOKEN_URL,
                client_id=settings.VERBUND_XBEZAHLDIENSTE_CLIENT_ID,
                client_secret=settings.VERBUND_XBEZAHLDIENSTE_CLIENT_SECRET,
                client_cert=settings.VERBUND_XBEZAHLDIENSTE_CLIENT_CERT,
                timeout=float(settings.VERBUND_PAYMENT_TIMEOUT),
            )
        )
    raise PaymentUnavailable(_("Unbekannter Bezahldienst."))


@functools.cache
def _xbezahldienste(config: xbezahldienste.Config) -> xbezahldienste.XBezahldiensteProvider:
    """One client per configuration and process (it keeps its access token)."""
    return xbezahldienste.XBezahldiensteProvider(config)


def payment_secret() -> bytes:
    secret = settings.VERBUND_PAYMENT_SECRET or f"payment:{settings.SECRET_KEY}"
    return hashlib.sha256(secret.encode()).digest()


def payment_purpose(submission: Submission) -> str:
    """The Verwendungszweck: the interface allows 27 characters of letters, digits, blanks
    and hyphens; the Vorgangsnummer alone identifies the case."""
    return re.sub(r"[^A-Za-z0-9 -]", "", f"Vorgang {submission.vorgangsnummer}")[:27]


def request_payment(
    *, submission: Submission, redirect_url: str, actor: Actor
) -> tuple[Payment, str]:
    """Open a payment request for the submission's fee at the provider; returns it and the
    payer's URL. The provider is called outside any transaction: a slow provider holds no
    lock, and a failed call leaves the payment recorded as FAILED with the reason."""
    provider = payment_provider()
    payment = _open_payment(submission=submission, provider=provider.name, actor=actor)
    request = payment_api.PaymentRequest(
        request_id=payment.request_id,
        amount=payment.amount,
        currency=payment.currency,
        purpose=payment.purpose,
        description=str(submission.service.name),
        redirect_url=redirect_url,
        timestamp=timezone.now().strftime("%Y-%m-%dT%H:%M:%S.") + "000Z",
        items=(
            payment_api.PaymentItem(
                item_id="1",
                reference=str(submission.service.leika_key or submission.service.slug)[:36],
                description=str(submission.service.name),
                amount=payment.amount,
                booking_data=(("vorgangsnummer", str(submission.vorgangsnummer)),),
            ),
        ),
    )
    try:
        start = provider.start(request)
    except (payment_api.ProviderUnavailable, payment_api.ProviderRefused) as exc:
        _payment_failed(payment=payment, reason=str(exc)[:200], actor=actor)
        raise PaymentUnavailable(
            _("Der Bezahldienst ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.")
        ) from exc
    _payment_started(payment=payment, reference=start.reference, actor=actor)
    return payment, start.payment_url


@transaction.atomic
def _open_payment(*, submission: Submission, provider: str, actor: Actor) -> Payment:
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.status != Submission.Status.AWAITING_PAYMENT:
        raise Conflict(_("Für diesen Antrag ist keine Zahlung offen."), code="no_payment_due")
    payment = Payment.objects.create(
        request_id=uuid.uuid4().hex,
        submission=submission,
        provider=provider,
        amount=Decimal(submission.fee_total),
        currency="EUR",
        purpose=payment_purpose(submission),
        status=Payment.Status.INITIAL,
    )
    record_audit(
        action="application.payment_requested",
        actor=actor,
        obj=payment,
        submission=str(submission.pk),
        amount=str(payment.amount),
        provider=provider,
    )
    return payment


@transaction.atomic
def _payment_started(*, payment: Payment, reference: str, actor: Actor) -> None:
    Payment.objects.filter(pk=payment.pk).update(provider_reference=reference[:100])
    payment.provider_reference = reference[:100]
    record_audit(
        action="application.payment_started", actor=actor, obj=payment, reference=reference
    )


@transaction.atomic
def _payment_failed(*, payment: Payment, reason: str, actor: Actor) -> None:
    Payment.objects.filter(pk=payment.pk).update(
        status=Payment.Status.FAILED, status_detail=reason, updated_at=timezone.now()
    )
    record_audit(
        action="application.payment_status",
        actor=actor,
        obj=payment,
        before={"status": Payment.Status.INITIAL},
        after={"status": Payment.Status.FAILED},
        reason=reason,
    )


def refresh_payment(*, payment: Payment, actor: Actor) -> Payment:
    """Ask the provider for the payment's status and apply it (the only way a real
    provider's status is believed). The test provider has nothing to ask."""
    if payment.provider == "test" or not payment.provider_reference:
        return payment
    provider = payment_provider(payment.provider)
    if not isinstance(provider, xbezahldienste.XBezahldiensteProvider):
        return payment
    try:
        answer = provider.status(payment.provider_reference)
    except (payment_api.ProviderUnavailable, payment_api.ProviderRefused) as exc:
        raise PaymentUnavailable(
            _("Der Bezahldienst ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.")
        ) from exc
    return apply_payment_status(payment=payment, answer=answer, actor=actor)


# A status once reached changes only to PAYED: money that arrives after a cancellation or a
# timeout was still paid (the authority refunds a second payment, see below).
_PAYMENT_TRANSITIONS = {
    Payment.Status.INITIAL: {Payment.Status.PAYED, Payment.Status.FAILED, Payment.Status.CANCELED},
    Payment.Status.FAILED: {Payment.Status.PAYED},
    Payment.Status.CANCELED: {Payment.Status.PAYED},
    Payment.Status.PAYED: set(),
}


@transaction.atomic
def apply_payment_status(
    *, payment: Payment, answer: payment_api.PaymentStatus, actor: Actor
) -> Payment:
    """Apply what the provider's status query said. Idempotent: the same status twice changes
    nothing; a transition the table does not allow is recorded and ignored; PAYED releases
    the submission, and a second payment for an already released one is flagged for refund."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    payment.checked_at = timezone.now()
    if answer.request_id and answer.request_id != payment.request_id:
        raise InvalidInput(
            "Die Antwort des Bezahldienstes gehört zu einer anderen Zahlung.",
            code="payment_mismatch",
        )
    if answer.amount is not None and answer.amount != payment.amount:
        raise InvalidInput("Der gezahlte Betrag passt nicht.", code="payment_amount")
    if answer.status == payment.status:
        payment.save(update_fields=["checked_at"])
        return payment
    if answer.status not in _PAYMENT_TRANSITIONS[Payment.Status(payment.status)]:
        payment.save(update_fields=["checked_at"])
        record_audit(
            action="application.payment_status_ignored",
            actor=actor,
            obj=payment,
            before={"status": payment.status},
            reported=answer.status,
        )
        return payment
    before = payment.status
    payment.status = answer.status
    payment.payment_method = answer.payment_method[:40]
    payment.status_detail = answer.detail[:200]
    if answer.status == Payment.Status.PAYED:
        payment.paid_at = parse_datetime(answer.paid_at) if answer.paid_at else timezone.now()
    payment.save()
    record_audit(
        action="application.payment_status",
        actor=actor,
        obj=payment,
        before={"status": before},
        after={"status": payment.status},
        late=before != Payment.Status.INITIAL,
    )
    if payment.status == Payment.Status.PAYED:
        _release_after_payment(payment=payment, actor=actor)
    return payment


def _release_after_payment(*, payment: Payment, actor: Actor) -> None:
    submission = Submission.objects.select_for_update().get(pk=payment.submission_id)
    if submission.released_at is None:
        submission.status = Submission.Status.RECEIVED
        submission.released_at = timezone.now()
        submission.save(update_fields=["status", "released_at", "updated_at"])
        record_audit(action="application.released", actor=actor, obj=submission, after_payment=True)
        extensions.notify_released(submission)
    elif submission.payments.filter(status=Payment.Status.PAYED).exclude(pk=payment.pk).exists():
        # Paid twice (a late payment after a new one): the authority refunds one.
        record_audit(action="application.payment_twice", actor=actor, obj=payment, refund=True)


def handle_payment_notification(*, raw_body: bytes, signature: str, actor: Actor) -> Payment:
    """A provider's notification that something happened to a payment. Believed only with a
    valid signature, and even then only as the cue to ask the provider (status query)."""
    if not payment_api.notification_signed(raw_body, signature, payment_secret()):
        raise DomainError(
            "Die Signatur der Zahlungsmeldung ist ungültig.", code="payment_signature", status=403
        )
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput(
            "Die Zahlungsmeldung ist kein JSON.", code="payment_notification"
        ) from None
    info = body.get("paymentInformation") if isinstance(body, dict) else None
    request = body.get("paymentRequest") if isinstance(body, dict) else None
    transaction_id = str((info or {}).get("transactionId") or "")
    request_id = str((request or {}).get("requestId") or "")
    payment = (
        Payment.objects.filter(provider_reference=transaction_id).exclude(provider="test").first()
        if transaction_id
        else Payment.objects.filter(request_id=request_id).exclude(provider="test").first()
    )
    if payment is None or not (transaction_id or request_id):
        raise NotFound("Unbekannte Zahlung.", code="unknown_payment")
    return refresh_payment(payment=payment, actor=actor)


def reconcile_payments(*, actor: Actor, now: datetime.datetime | None = None) -> dict[str, int]:
    """Ask the provider about every open payment; one still open after
    VERBUND_PAYMENT_EXPIRY_MINUTES is cancelled here (the applicant may pay anew; money
    that arrives later is still accepted). Returns counts per outcome."""
    now = now or timezone.now()
    expiry = now - datetime.timedelta(minutes=settings.VERBUND_PAYMENT_EXPIRY_MINUTES)
    counts = {"checked": 0, "changed": 0, "expired": 0, "unreachable": 0}
    for payment in Payment.objects.filter(status=Payment.Status.INITIAL).exclude(provider="test"):
        counts["checked"] += 1
        before = payment.status
        try:
            payment = refresh_payment(payment=payment, actor=actor)
        except PaymentUnavailable:
            counts["unreachable"] += 1
            continue
        if payment.status != before:
            counts["changed"] += 1
        elif payment.created_at < expiry:
            apply_payment_status(
                payment=payment,
                answer=payment_api.PaymentStatus(
                    status=Payment.Status.CANCELED,
                    transaction_id=payment.provider_reference,
                    detail="abgelaufen",
                ),
                actor=actor,
            )
            counts["expired"] += 1
    return counts


@transaction.atomic
def apply_payment_callback(*, raw_body: bytes, signature: str, actor: Actor) -> Payment:
    """The demo's test provider: its signed callback carries the status itself (a real
    provider's status comes only from its status query, `refresh_payment`). A confirmed
    payment releases the submission; repeated callbacks change nothing."""
    body = payment_api.verify(raw_body, signature, payment_secret())
    if body is None:
        raise InvalidInput(
            "Die Signatur der Zahlungsmeldung ist ungültig.", code="payment_signature"
        )
    payment = (
        Payment.objects.select_for_update()
        .select_related("submission")
        .filter(request_id=body["requestId"], provider="test")
        .first()
    )
    if payment is None:
        raise InvalidInput("Unbekannte Zahlung.", code="unknown_payment")
    if payment.status == Payment.Status.PAYED or payment.status == body["status"]:
        return payment
    try:
        paid = Decimal(str(body.get("grossAmount", payment.amount)))
    except ArithmeticError:
        paid = None
    if paid != payment.amount:
        raise InvalidInput("Der gezahlte Betrag passt nicht.", code="payment_amount")
    before = payment.status
    payment.status = body["status"]
    payment.save(update_fields=["status", "updated_at"])
    record_audit(
        action="application.payment_status",
        actor=actor,
        obj=payment,
        before={"status": before},
        after={"status": payment.status},
    )
    submission = Submission.objects.select_for_update().get(pk=payment.submission_id)
    if payment.status == Payment.Status.PAYED and submission.released_at is None:
        submission.status = Submission.Status.RECEIVED
        submission.released_at = timezone.now()
        submission.save(update_fields=["status", "released_at", "updated_at"])
        record_audit(action="application.released", actor=actor, obj=submission, after_payment=True)
        extensions.notify_released(submission)
    return payment


def signed_test_callback(*, payment: Payment, status: str) -> tuple[bytes, str]:
    """What the built-in test provider sends to the callback (body, signature)."""
    body = {
        "requestId": payment.request_id,
        "status": status,
        "grossAmount": str(payment.amount),
        "currency": payment.currency,
        "reference": payment.provider_reference,
    }
    return payment_api.canonical(body), payment_api.sign(body, payment_secret())
