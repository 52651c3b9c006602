"""The Bescheid: the letter's content from the case and the clerk's decision."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone, translation

from verbund.casework import rules
from verbund.casework.models import Case, Decision
from verbund.catalogue import queries as catalogue_queries


@dataclass(frozen=True)
class Bescheid:
    """What a generated Bescheid says (§ 37 ThürVwVfG: issuing authority, addressee; § 39:
    reasons; § 58 VwGO: the Rechtsbehelfsbelehrung), for the preview and the PDF alike."""

    issuer: str
    issuer_address_lines: tuple[str, ...]
    issuer_city: str
    addressee: str
    date: datetime.date
    vorgangsnummer: str
    service_name: str
    received: datetime.date | None
    outcome: str
    outcome_label: str
    text: str
    reasons: str
    rechtsbehelfsbelehrung: str


def bescheid_content(
    case: Case, *, outcome: str, addressee: str, text: str, reasons: str
) -> Bescheid:
    """The Bescheid of `case` with the Rechtsbehelfsbelehrung of its service as the issuing
    authority words it (catalogue text, replaced by the authority's own where it has one)."""

    submission = case.submission
    authority = submission.authority
    street = authority.postal_street
    town = " ".join(p for p in (authority.postal_code, authority.postal_city) if p)
    address = ", ".join(p for p in (street, town) if p)
    texts = catalogue_queries.texts_for(submission.service, authority)
    with translation.override("de"):  # the Bescheid is German whatever the clerk's language
        label = str(dict(Decision.Outcome.choices).get(outcome, outcome))
    return Bescheid(
        issuer=authority.name,
        issuer_address_lines=tuple(p for p in (street, town) if p),
        issuer_city=authority.postal_city or authority.name,
        addressee=addressee.strip(),
        date=timezone.localdate(),
        vorgangsnummer=str(submission.vorgangsnummer),
        service_name=submission.service.name,
        received=timezone.localdate(submission.released_at) if submission.released_at else None,
        outcome=outcome,
        outcome_label=label,
        text=text.strip(),
        reasons=reasons.strip(),
        rechtsbehelfsbelehrung=rules.fill_rechtsbehelfsbelehrung(
            texts.rechtsbehelfsbelehrung, authority=authority.name, address=address
        ),
    )
