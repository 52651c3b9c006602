"""The built-in test payment provider: a page of the platform where the payer chooses
"bezahlen" or "abbrechen"; it then signs a callback like a real provider would. No money
moves. The page itself is served by the applications domain (`applications:test_payment`)."""

from __future__ import annotations

from django.urls import reverse

from verbund.integrations.payment import PaymentRequest, PaymentStart


class TestPaymentProvider:
    name = "test"

    def start(self, request: PaymentRequest) -> PaymentStart:
        return PaymentStart(
            payment_url=reverse("applications:test_payment", args=[request.request_id]),
            reference=f"TEST-{request.request_id[:12]}",
        )
