"""Pure rules of the cooperation: the life of a membership and of an activation as tables
of allowed transitions, when a shared online service is offered at a place, and the terms
an authority may set. No database."""

from __future__ import annotations

import datetime
import difflib
from decimal import ROUND_DOWN, Decimal

# The cooperation agreement (Kooperationsvereinbarung, § 27 ThürEGovG) in force. Accepting
# records this version; a new version needs a new acceptance.
AGREEMENT_VERSION = "2026-1"
AGREEMENT_TITLE = "Kooperationsvereinbarung über den E-Government-Verbund Thüringen"

NOT_INVITED = "not_invited"
INVITED = "invited"
MEMBER = "member"
LEFT = "left"

# invited → member (agreement accepted) → left; a left authority may be invited again.
MEMBERSHIP_TRANSITIONS: dict[str, frozenset[str]] = {
    NOT_INVITED: frozenset({INVITED}),
    INVITED: frozenset({MEMBER, LEFT}),
    MEMBER: frozenset({LEFT}),
    LEFT: frozenset({INVITED}),
}

ACTIVE = "active"
PAUSED = "paused"
NOT_OFFERED = "not_offered"

ACTIVATION_TRANSITIONS: dict[str, frozenset[str]] = {
    NOT_OFFERED: frozenset({ACTIVE}),
    ACTIVE: frozenset({PAUSED}),
    PAUSED: frozenset({ACTIVE}),
}

MAX_PROCESSING_DAYS = 365
MAX_FEE = Decimal("10000.00")


def can_change_membership(current: str, target: str) -> bool:
    return target in MEMBERSHIP_TRANSITIONS.get(current, frozenset())


def can_change_activation(current: str, target: str) -> bool:
    return target in ACTIVATION_TRANSITIONS.get(current, frozenset())


def offered_online(*, membership_state: str, activation_status: str) -> bool:
    """A shared online service is offered at a place only when the responsible authority is
    a member of the Verbund and has the service activated (not paused)."""
    return membership_state == MEMBER and activation_status == ACTIVE


def activation_terms_errors(
    *, fee: Decimal | None, fee_set_locally: bool, contact: str, processing_days: int | None
) -> dict[str, str]:
    """What is wrong with an authority's terms for a service (field → German message)."""
    errors: dict[str, str] = {}
    if fee_set_locally:
        if fee is None:
            errors["fee"] = "Bitte die Gebühr Ihrer Kommune angeben (0 für gebührenfrei)."
        elif fee < 0 or fee > MAX_FEE:
            errors["fee"] = f"Die Gebühr muss zwischen 0 und {MAX_FEE} Euro liegen."
        elif fee != fee.quantize(Decimal("0.01")):
            errors["fee"] = "Die Gebühr hat höchstens zwei Nachkommastellen."
    elif fee is not None:
        errors["fee"] = "Die Gebühr dieser Leistung legt das Land fest, nicht die Kommune."
    if not contact.strip():
        errors["contact"] = "Bitte einen Kontakt für Rückfragen angeben."
    if processing_days is None or not 1 <= processing_days <= MAX_PROCESSING_DAYS:
        errors["processing_days"] = (
            f"Die Bearbeitungsfrist muss zwischen 1 und {MAX_PROCESSING_DAYS} Tagen liegen."
        )
    return errors


def age_in_days(since: datetime.datetime, now: datetime.datetime) -> int:
    return max(0, (now - since).days)


# --- the funding programme ------------------------------------------------------------------

SUBMITTED = "submitted"
INFO_REQUESTED = "info_requested"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
SETTLED = "settled"

# submitted ⇄ info_requested (the Land asks, the Kommune answers) → approved → settled
# (Verwendungsnachweis accepted); rejected; withdrawn by the Kommune until settled.
FUNDING_TRANSITIONS: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({APPROVED, REJECTED, WITHDRAWN, INFO_REQUESTED}),
    INFO_REQUESTED: frozenset({SUBMITTED, REJECTED, WITHDRAWN}),
    APPROVED: frozenset({WITHDRAWN, SETTLED}),
    REJECTED: frozenset(),
    WITHDRAWN: frozenset(),
    SETTLED: frozenset(),
}
OPEN_FUNDING = (SUBMITTED, INFO_REQUESTED)

COMMITMENT = "commitment"
DISBURSEMENT = "disbursement"
RELEASE = "release"
CENT = Decimal("0.01")


def can_change_funding(current: str, target: str) -> bool:
    return target in FUNDING_TRANSITIONS.get(current, frozenset())


def money(value: Decimal) -> str:
    """German notation: 1.234,50 €."""
    text = f"{value.quantize(CENT):,.2f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".") + " €"


def grant_errors(
    *,
    amount: Decimal,
    eligible_costs: Decimal,
    rate_percent: Decimal,
    min_amount: Decimal,
    max_amount: Decimal,
) -> list[str]:
    """Why the amount cannot be granted under the call's terms (empty: it can)."""
    errors = []
    if amount != amount.quantize(CENT) or amount <= 0:
        errors.append("Der Betrag muss positiv sein und höchstens zwei Nachkommastellen haben.")
        return errors
    cap = (eligible_costs * rate_percent / 100).quantize(CENT, rounding=ROUND_DOWN)
    if amount > cap:
        errors.append(f"Höchstens {money(cap)} ({rate_percent} % der zuwendungsfähigen Ausgaben).")
    if amount < min_amount:
        errors.append(f"Der Mindestbetrag des Aufrufs ist {money(min_amount)}.")
    if amount > max_amount:
        errors.append(f"Der Höchstbetrag des Aufrufs ist {money(max_amount)}.")
    return errors


def ledger_totals(budget: Decimal, bookings: list[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Committed (commitments less releases), paid and available money of a call."""
    committed = sum((a for k, a in bookings if k == COMMITMENT), Decimal(0)) - sum(
        (a for k, a in bookings if k == RELEASE), Decimal(0)
    )
    paid = sum((a for k, a in bookings if k == DISBURSEMENT), Decimal(0))
    return {"budget": budget, "committed": committed, "paid": paid, "available": budget - committed}


def commitment_refusal(*, budget: Decimal, committed: Decimal, amount: Decimal) -> str:
    """The reason a commitment would overspend the budget ("" when it fits)."""
    available = budget - committed
    if amount > available:
        return (
            f"Das Budget des Aufrufs reicht nicht: verfügbar sind noch {money(available)}, "
            f"bewilligt werden sollten {money(amount)}."
        )
    return ""


def decision_times(days: list[int]) -> tuple[float | None, int | None]:
    """Median and maximum decision time in days (None when nothing is decided yet)."""
    if not days:
        return None, None
    ordered = sorted(days)
    middle = len(ordered) // 2
    median = (
        float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    )
    return median, ordered[-1]


# Editorial changes the Land reviews (district offices): proposed → approved | rejected,
# decided by a second editor (four eyes).
PROPOSED = "proposed"
PROPOSAL_APPROVED = "approved"
PROPOSAL_REJECTED = "rejected"

PROPOSAL_TRANSITIONS: dict[str, frozenset[str]] = {
    PROPOSED: frozenset({PROPOSAL_APPROVED, PROPOSAL_REJECTED}),
    PROPOSAL_APPROVED: frozenset(),
    PROPOSAL_REJECTED: frozenset(),
}


def can_review(current: str, target: str, *, proposer_id: int, reviewer_id: int) -> str:
    """Why the reviewer may not decide (empty when they may)."""
    if target not in PROPOSAL_TRANSITIONS.get(current, frozenset()):
        return "Über diese Änderung ist bereits entschieden."
    if proposer_id == reviewer_id:
        return "Eine Änderung prüft eine zweite Person, nicht wer sie vorgeschlagen hat."
    return ""


def district_errors(
    *, level: str, valid_from: datetime.date | None, valid_until: datetime.date | None
) -> dict[str, str]:
    """What is wrong with a proposed district (field → German message)."""
    errors: dict[str, str] = {}
    if level not in {"gemeinde", "verband", "kreis"}:
        errors["gebiet"] = "Ein Amtsbezirk besteht aus Kreisen, Verbänden oder Gemeinden."
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = "Das Ende liegt vor dem Beginn der Gültigkeit."
    return errors


def settlement(
    *, open_amount: Decimal, actual_costs: Decimal, rate_percent: Decimal
) -> tuple[Decimal, Decimal]:
    """What an accepted Verwendungsnachweis pays and frees: the rate of the actual costs,
    at most what is still committed and unpaid (ANBest-P: the grant shrinks with lower
    costs, never grows); the rest of the commitment is released."""
    due = (actual_costs * rate_percent / 100).quantize(CENT, rounding=ROUND_DOWN)
    pay = max(Decimal(0), min(open_amount, due))
    return pay, open_amount - pay


PROOF_SUBMITTED = "submitted"
PROOF_ACCEPTED = "accepted"
PROOF_REJECTED = "rejected"


# Service texts: draft → review → published | rejected; a second person decides.
TEXT_DRAFT = "draft"
TEXT_REVIEW = "review"
TEXT_PUBLISHED = "published"
TEXT_REJECTED = "rejected"

TEXT_TRANSITIONS: dict[str, frozenset[str]] = {
    TEXT_DRAFT: frozenset({TEXT_REVIEW}),
    TEXT_REVIEW: frozenset({TEXT_PUBLISHED, TEXT_REJECTED}),
    TEXT_PUBLISHED: frozenset(),
    TEXT_REJECTED: frozenset(),
}

TEXT_FIELDS: dict[str, str] = {
    "short_text": "Kurztext",
    "full_text": "Volltext",
    "required_documents": "Erforderliche Unterlagen",
    "prerequisites": "Voraussetzungen",
    "costs": "Kosten",
    "deadlines": "Fristen",
    "processing_time": "Bearbeitungsdauer",
    "procedure": "Verfahrensablauf",
    "notes": "Hinweise",
}


def can_change_text(current: str, target: str) -> bool:
    return target in TEXT_TRANSITIONS.get(current, frozenset())


def text_diff(old: str, new: str) -> list[str]:
    """The change as unified diff lines (difflib), without the file header."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), "bisher", "neu", lineterm="", n=2
    )
    return [line for line in lines if not line.startswith(("---", "+++"))]
