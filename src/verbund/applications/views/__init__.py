"""The citizen's path: pick a place, see who is responsible, fill in the form step by step,
check the summary, submit, get the receipt; and the status page. Thin views: the work is in
actions, queries, rules and rendering."""

from verbund.applications.views.drafts import index, mine, request_limit, start, step
from verbund.applications.views.payments import (
    pay,
    payment_callback,
    payment_notification,
    payment_return,
    test_payment,
)
from verbund.applications.views.status import receipt, receipt_pdf, status_lookup
from verbund.applications.views.submit import resume, save_for_later, summary

__all__ = [
    "index",
    "mine",
    "pay",
    "payment_callback",
    "payment_notification",
    "payment_return",
    "receipt",
    "receipt_pdf",
    "request_limit",
    "resume",
    "save_for_later",
    "start",
    "status_lookup",
    "step",
    "summary",
    "test_payment",
]
