"""Every state change of the applications domain: one atomic function each, audited,
grouped by the life of an application (definitions, drafts, submission, payment, status
in the back office, the submission API). Import from here: `from
verbund.applications.actions import submit_draft` keeps working whichever module holds it.

Personal data never enters the audit log: entries name ids, the service, the authority and
hashes, not what the applicant wrote.
"""

from __future__ import annotations

from verbund.applications.actions.definitions import (
    publish_form_version,
    save_form_version,
    schema_hash,
)
from verbund.applications.actions.drafts import (
    attach_file,
    delete_expired_drafts,
    remove_attachment,
    save_draft,
    send_resume_link,
    start_draft,
)
from verbund.applications.actions.payment import (
    PaymentUnavailable,
    apply_payment_callback,
    apply_payment_status,
    handle_payment_notification,
    payment_provider,
    payment_purpose,
    payment_secret,
    reconcile_payments,
    refresh_payment,
    request_payment,
    signed_test_callback,
)
from verbund.applications.actions.protocol import (
    RATE_WINDOW,
    StaleDestination,
    announce_submission,
    count_api_request,
    request_hash,
    store_sender_attachment,
    submit_announced,
)
from verbund.applications.actions.receipt import (
    Receipt,
    new_secret,
    new_vorgangsnummer,
    save_with_number,
)
from verbund.applications.actions.status import (
    reseal_submission,
    set_submission_status,
)
from verbund.applications.actions.submission import (
    submit_draft,
)

__all__ = [
    "RATE_WINDOW",
    "PaymentUnavailable",
    "Receipt",
    "StaleDestination",
    "announce_submission",
    "apply_payment_callback",
    "apply_payment_status",
    "attach_file",
    "count_api_request",
    "delete_expired_drafts",
    "handle_payment_notification",
    "new_secret",
    "new_vorgangsnummer",
    "payment_provider",
    "payment_purpose",
    "payment_secret",
    "publish_form_version",
    "reconcile_payments",
    "refresh_payment",
    "remove_attachment",
    "request_hash",
    "request_payment",
    "reseal_submission",
    "save_draft",
    "save_form_version",
    "save_with_number",
    "schema_hash",
    "send_resume_link",
    "set_submission_status",
    "signed_test_callback",
    "start_draft",
    "store_sender_attachment",
    "submit_announced",
    "submit_draft",
]
