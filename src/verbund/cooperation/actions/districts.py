"""District offices: the Landkreise propose, the Land reviews."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from verbund.cooperation import queries, rules
from verbund.cooperation.actions.membership import _mark_reviewed, _user
from verbund.cooperation.models import (
    DistrictProposal,
)
from verbund.core.audit import Actor, record_audit, snapshot
from verbund.core.errors import Conflict, InvalidInput, NotFound
from verbund.finder import actions as finder_actions
from verbund.gebiete.types import Gebiet

# --- district offices: changes the Land reviews -----------------------------------------------


def _area_key(value: str) -> str:
    """A Kreis key (5 digits) becomes its ARS; ARS and AGS pass through."""
    digits = value.strip().replace(" ", "")
    return f"{digits}0000000" if len(digits) == 5 and digits.isdigit() else digits


@transaction.atomic
def propose_district(
    *,
    land: Gebiet,
    kind: Any,
    office_slug: str,
    area: str,
    reason: str,
    actor: Actor,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
    note: str = "",
) -> DistrictProposal:
    """An editor of the Land proposes the district of an office (new, changed or ended);
    it takes effect when a second editor approves it."""
    try:
        office = queries.authority_in_land_or_404(land, office_slug.strip())
    except NotFound:
        raise InvalidInput(
            f"Eine Behörde „{office_slug.strip()}“ gibt es im Land nicht.", code="unknown_office"
        ) from None
    gebiet = queries.find_gebiet_in_land(land, _area_key(area))
    errors = rules.district_errors(
        level=gebiet.level, valid_from=valid_from, valid_until=valid_until
    )
    if not reason.strip():
        errors["reason"] = "Bitte begründen Sie die Änderung (z. B. die Quelle)."
    if errors:
        raise InvalidInput(" ".join(errors.values()), code="invalid_district")
    proposal = DistrictProposal.objects.create(
        land=land,
        kind=kind,
        office=office,
        gebiet=gebiet,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note.strip()[:300],
        reason=reason.strip()[:500],
        proposed_by=_user(actor),
    )
    record_audit(
        action="cooperation.district_proposed", actor=actor, obj=proposal, after=snapshot(proposal)
    )
    return proposal


@transaction.atomic
def review_district_proposal(
    *, proposal: DistrictProposal, approve: bool, actor: Actor, note: str = ""
) -> DistrictProposal:
    """The second editor approves (the district changes, audited by the finder) or rejects."""
    proposal = DistrictProposal.objects.select_for_update().get(pk=proposal.pk)
    target = rules.PROPOSAL_APPROVED if approve else rules.PROPOSAL_REJECTED
    reviewer = _user(actor)
    refusal = rules.can_review(
        proposal.state,
        target,
        proposer_id=proposal.proposed_by_id,
        reviewer_id=reviewer.pk if reviewer is not None else 0,
    )
    if refusal:
        raise Conflict(refusal, code="review_refused")
    if not approve and not note.strip():
        raise InvalidInput("Bitte begründen Sie die Ablehnung.", code="reason_missing")
    before = snapshot(proposal)
    if approve:
        finder_actions.upsert_district(
            kind=proposal.kind,
            office=proposal.office,
            gebiet=proposal.gebiet,
            valid_from=proposal.valid_from,
            valid_until=proposal.valid_until,
            note=proposal.note,
            actor=actor,
        )
    _mark_reviewed(proposal, target=target, reviewer=reviewer, note=note)
    record_audit(
        action="cooperation.district_reviewed",
        actor=actor,
        obj=proposal,
        before=before,
        after=snapshot(proposal),
    )
    return proposal
