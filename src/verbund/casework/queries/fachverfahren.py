"""The specialist system (Fachverfahren): its API key, case export, retention, decision times."""

from __future__ import annotations

import datetime
import hmac
from typing import Any
from xml.etree import ElementTree as ET

from django.db.models import QuerySet

from verbund.applications.types import Submission
from verbund.authorities.types import Authority
from verbund.casework import rules
from verbund.casework.models import Case, Decision, Handoff
from verbund.casework.queries.access import _not_found


def handoff_of(authority: Authority) -> Handoff | None:
    return Handoff.objects.filter(authority=authority).first()


def authority_for_api_key(key: str) -> Authority | None:
    if not key:
        return None
    digest = rules.api_key_hash(key)
    handoff = Handoff.objects.select_related("authority").filter(api_key_hash=digest).first()
    if handoff is None or not hmac.compare_digest(handoff.api_key_hash, digest):
        return None
    return handoff.authority


def get_case_for_authority_or_404(authority: Authority, number: str) -> Case:
    case = (
        Case.objects.select_related("submission__service", "submission__authority")
        .filter(
            submission__vorgangsnummer=number,
            submission__authority=authority,
            submission__released_at__isnull=False,
        )
        .first()
    )
    if case is None:
        raise _not_found()
    return case


def export_case(case: Case) -> dict[str, Any]:
    """The case for a specialist system: metadata in the clear, the form data and attachments
    still sealed (JWE) to the authority's key, as received (FIT-Connect shape)."""
    s = case.submission
    return {
        "vorgangsnummer": s.vorgangsnummer,
        "status": s.status,
        "service": {"slug": s.service.slug, "leikaKey": s.service.leika_key},
        "authority": s.authority.slug,
        "responsibility": {"basis": s.basis, "explanation": s.basis_explanation},
        "place": {"ags": s.place_ags, "plz": s.place_plz, "name": s.place_name},
        "submittedAt": s.submitted_at.isoformat() if s.submitted_at else None,
        "receivedAt": s.released_at.isoformat() if s.released_at else None,
        "deadline": case.deadline.isoformat(),
        "kid": s.key.kid,
        "encryptedData": s.encrypted_data,
        "encryptedMetadata": s.encrypted_metadata,
        "dataSha256": s.data_sha256,
        "attachments": [
            {"id": str(a.id), "mediaType": a.media_type, "sha256": a.sha256}
            for a in s.attachments.order_by("id")
        ],
        "decisions": [
            {"outcome": d.outcome, "filename": d.filename, "sha256": d.sha256}
            for d in case.decisions.all()
        ],
    }


def export_case_xml(case: Case) -> bytes:
    """The same export as XML (element names as in the JSON)."""
    root = ET.Element("vorgang", {"xmlns": "urn:verbund:casework:export:1"})

    def add(parent: ET.Element, name: str, value: Any) -> None:
        if isinstance(value, dict):
            node = ET.SubElement(parent, name)
            for k, v in value.items():
                add(node, k, v)
        elif isinstance(value, list):
            node = ET.SubElement(parent, name)
            for item in value:
                add(node, name.rstrip("s") if name.endswith("s") else "item", item)
        else:
            ET.SubElement(parent, name).text = "" if value is None else str(value)

    for k, v in export_case(case).items():
        add(root, k, v)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def expired_cases(today: datetime.date) -> QuerySet[Case]:
    """Closed cases whose retention period has run out."""
    return Case.objects.filter(
        submission__status=Submission.Status.CLOSED, purge_after__lte=today
    ).select_related("submission")


def first_decision_times() -> dict[Any, datetime.datetime]:
    """Submission id → when its first Bescheid was recorded, for the processing-time figures
    (no personal data)."""
    times: dict[Any, datetime.datetime] = {}
    for submission_id, created_at in Decision.objects.order_by("created_at").values_list(
        "case__submission_id", "created_at"
    ):
        times.setdefault(submission_id, created_at)
    return times
