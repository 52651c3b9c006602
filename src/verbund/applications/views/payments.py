"""Paying a fee: to the payment provider and back, its notifications and callback."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from verbund.applications import (
    actions,
    rules,
)
from verbund.applications.models import Payment, Submission
from verbund.applications.views.common import _actor, _submission
from verbund.core.errors import DomainError


def pay(request: HttpRequest, number: str) -> HttpResponse:
    submission = _submission(request, number)
    if request.method == "POST" or submission.status == Submission.Status.AWAITING_PAYMENT:
        if submission.status != Submission.Status.AWAITING_PAYMENT:
            return redirect("applications:receipt", number=number)
        if request.method == "POST":
            try:
                _payment, url = actions.request_payment(
                    submission=submission,
                    redirect_url=request.build_absolute_uri(
                        reverse("applications:payment_return", args=[number])
                    ),
                    actor=_actor(request),
                )
            except DomainError as exc:
                return render(
                    request,
                    "applications/pay.html",
                    {
                        "submission": submission,
                        "fee_total": rules.format_money(submission.fee_total),
                        "error": exc.message,
                    },
                    status=exc.status,
                )
            return HttpResponseRedirect(url)
    return render(
        request,
        "applications/pay.html",
        {"submission": submission, "fee_total": rules.format_money(submission.fee_total)},
    )


def payment_return(request: HttpRequest, number: str) -> HttpResponse:
    """Where the payment provider sends the payer back. The return itself proves nothing:
    the newest payment's status is asked from the provider, then the receipt shows it."""
    submission = _submission(request, number)
    payment = submission.payments.order_by("-created_at").first()
    if payment is not None:
        try:
            actions.refresh_payment(payment=payment, actor=_actor(request))
        except DomainError as exc:
            messages.warning(request, exc.message)
    return redirect("applications:receipt", number=number)


@csrf_exempt
@require_POST
def payment_notification(request: HttpRequest) -> HttpResponse:
    """The provider's server-to-server notification: with a valid signature it makes Verbund
    ask the provider for the status (the notification's content is never believed)."""
    from django.http import JsonResponse

    from verbund.integrations.payment import SIGNATURE_HEADER

    try:
        payment = actions.handle_payment_notification(
            raw_body=request.body,
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            actor="bezahldienst",
        )
    except DomainError as exc:
        return JsonResponse(
            {"type": "about:blank", "title": exc.message, "status": exc.status, "code": exc.code},
            status=exc.status,
            content_type="application/problem+json",
        )
    return JsonResponse({"requestId": payment.request_id, "status": payment.status})


def test_payment(request: HttpRequest, request_id: str) -> HttpResponse:
    """The built-in test provider's page: pay or cancel; then it signs the callback."""
    payment = Payment.objects.select_related("submission").filter(request_id=request_id).first()
    if payment is None or payment.provider != "test":
        raise Http404(_("Unbekannte Zahlung."))
    if request.method == "POST":
        outcome = "PAYED" if request.POST.get("outcome") == "pay" else "CANCELED"
        body, signature = actions.signed_test_callback(payment=payment, status=outcome)
        actions.apply_payment_callback(
            raw_body=body, signature=signature, actor="test-bezahldienst"
        )
        return redirect("applications:receipt", number=payment.submission.vorgangsnummer)
    return render(
        request,
        "applications/test_payment.html",
        {"payment": payment, "amount": rules.format_money(payment.amount)},
    )


@csrf_exempt
@require_POST
def payment_callback(request: HttpRequest) -> HttpResponse:
    """The provider's server-to-server message; believed only with a valid HMAC signature."""
    from django.http import JsonResponse

    from verbund.integrations.payment import SIGNATURE_HEADER

    try:
        payment = actions.apply_payment_callback(
            raw_body=request.body,
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            actor="bezahldienst",
        )
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "detail": exc.message}, status=400)
    return JsonResponse({"requestId": payment.request_id, "status": payment.status})
