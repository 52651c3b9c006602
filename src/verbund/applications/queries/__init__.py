"""Reads of the applications domain, with every ownership and tenant check.

A draft is reached by its owner's account or by the secret resume token; a submission by
the applicant's account or by Vorgangsnummer plus access code; the receiving authority's staff
reach submissions through `get_submission_for_staff_or_404`, and only they can decrypt."""

from verbund.applications.access_codes import access_code_matches
from verbund.applications.queries.common import User, attachment_storage, token_hash
from verbund.applications.queries.drafts import (
    drafts_of,
    expired_drafts,
    get_draft,
    submission_of_draft,
)
from verbund.applications.queries.forms import (
    api_service_and_version,
    form_definitions,
    form_of,
    get_service,
    get_service_by_identifier,
    published_version,
    services_with_forms,
)
from verbund.applications.queries.metering import (
    attachment_bytes_per_authority,
    released_submission_facts,
    submissions_per_authority_and_service,
)
from verbund.applications.queries.responsibility import (
    RESPONSIBILITY_TTL,
    Responsibility,
    clear_caches,
    destination,
    destination_with_key,
    destination_with_key_kept,
    forget_destination,
    not_online_note,
    online_application_action,
    online_offer,
    responsibility,
    responsibility_cached,
)
from verbund.applications.queries.staff import (
    DecryptedAttachment,
    DecryptedSubmission,
    IntegrityFailure,
    decrypt_submission_for_staff,
    get_submission_for_staff_or_404,
    processing_time,
    require_attachments_uploaded,
    submissions_for_staff,
    summary_for_staff,
)
from verbund.applications.queries.submissions import (
    AnnouncedRef,
    announced_ref,
    anonymous_submission,
    authority_id_of_submission,
    get_announced_submission,
    get_submission_for_applicant,
    lock_announced_for_completion,
    released_submissions,
    submission_for_update,
    submissions_of,
)

__all__ = [
    "RESPONSIBILITY_TTL",
    "AnnouncedRef",
    "DecryptedAttachment",
    "DecryptedSubmission",
    "IntegrityFailure",
    "Responsibility",
    "User",
    "access_code_matches",
    "announced_ref",
    "anonymous_submission",
    "api_service_and_version",
    "attachment_bytes_per_authority",
    "attachment_storage",
    "authority_id_of_submission",
    "clear_caches",
    "decrypt_submission_for_staff",
    "destination",
    "destination_with_key",
    "destination_with_key_kept",
    "drafts_of",
    "expired_drafts",
    "forget_destination",
    "form_definitions",
    "form_of",
    "get_announced_submission",
    "get_draft",
    "get_service",
    "get_service_by_identifier",
    "get_submission_for_applicant",
    "get_submission_for_staff_or_404",
    "lock_announced_for_completion",
    "not_online_note",
    "online_application_action",
    "online_offer",
    "processing_time",
    "published_version",
    "released_submission_facts",
    "released_submissions",
    "require_attachments_uploaded",
    "responsibility",
    "responsibility_cached",
    "services_with_forms",
    "submission_for_update",
    "submission_of_draft",
    "submissions_for_staff",
    "submissions_of",
    "submissions_per_authority_and_service",
    "summary_for_staff",
    "token_hash",
]
