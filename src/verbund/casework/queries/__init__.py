"""THE access layer of the back office: every read of case data goes through here.

Staff see the cases of the authorities they are active members of, with a case-working role
(Sachbearbeitung or Leitung) and, when their membership names service areas, only the
services in them. Everyone else gets NotFound: another authority's staff cannot even learn
that a Vorgangsnummer exists. A specialist system (Fachverfahren) reaches its authority's
cases with the authority's API key. Decryption of form data happens only in `open_case`."""

from verbund.casework.queries.access import (
    ADMIN_ROLES,
    CASE_ROLES,
    User,
    cases_of,
    colleague,
    colleagues,
    get_case_for_staff_or_404,
    membership_or_404,
    role_in,
)
from verbund.casework.queries.bescheid import Bescheid, bescheid_content
from verbund.casework.queries.case import (
    HistoryEvent,
    ThreadEntry,
    case_of_submission,
    decisions,
    forward_target,
    forward_target_groups,
    forward_targets,
    has_specialist_system,
    history,
    open_case,
    read_decision,
    readable_history,
    reply_attachment,
    terms_for,
    thread,
)
from verbund.casework.queries.fachverfahren import (
    authority_for_api_key,
    expired_cases,
    export_case,
    export_case_xml,
    first_decision_times,
    get_case_for_authority_or_404,
    handoff_of,
)
from verbund.casework.queries.inbox import (
    PAGE_SIZE,
    InboxFilter,
    InboxPage,
    decode_cursor,
    encode_cursor,
    inbox_page,
    name_search_tokens,
    search_key,
    services_of,
)

__all__ = [
    "ADMIN_ROLES",
    "CASE_ROLES",
    "PAGE_SIZE",
    "Bescheid",
    "HistoryEvent",
    "InboxFilter",
    "InboxPage",
    "ThreadEntry",
    "User",
    "authority_for_api_key",
    "bescheid_content",
    "case_of_submission",
    "cases_of",
    "colleague",
    "colleagues",
    "decisions",
    "decode_cursor",
    "encode_cursor",
    "expired_cases",
    "export_case",
    "export_case_xml",
    "first_decision_times",
    "forward_target",
    "forward_target_groups",
    "forward_targets",
    "get_case_for_authority_or_404",
    "get_case_for_staff_or_404",
    "handoff_of",
    "has_specialist_system",
    "history",
    "inbox_page",
    "membership_or_404",
    "name_search_tokens",
    "open_case",
    "read_decision",
    "readable_history",
    "reply_attachment",
    "role_in",
    "search_key",
    "services_of",
    "terms_for",
    "thread",
]
