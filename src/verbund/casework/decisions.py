"""Filing a Bescheid: sealed for the deciding authority, delivered to the applicant's
Postfach. `actions.decide_case` files the first; a decided case may receive a further one
(e.g. the Schlussbescheid of a grant after the Verwendungsnachweis)."""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from verbund.applications import queries as application_queries
from verbund.applications.types import Submission
from verbund.casework.models import Case, Decision
from verbund.core import sealing
from verbund.core.audit import Actor, record_audit
from verbund.core.errors import Conflict, InvalidInput

Status = Submission.Status


def file_decision(
    case: Case,
    *,
    outcome: str,
    pdf: bytes,
    filename: str,
    generated: bool,
    letter: tuple[str, str],
    actor: Actor,
) -> Decision:
    """Keep the PDF sealed (JWE to the submission's key) and post it with `letter`
    (subject, body) to the Postfach of the case."""
    from verbund.mailbox import actions as mailbox_actions

    submission = case.submission
    storage = application_queries.attachment_storage()
    token = sealing.seal(pdf, submission.key.public_jwk, cty="application/pdf")
    name = storage.save(
        f"decisions/{submission.pk}/{uuid.uuid4()}.jwe", ContentFile(token.encode())
    )
    decision = Decision.objects.create(
        case=case,
        outcome=outcome,
        filename=filename[:200],
        sha256=sealing.sha256_hex(pdf),
        storage_name=name,
        generated=generated,
    )
    mailbox_actions.post_message(
        submission=submission,
        sender_authority=submission.authority,
        kind="bescheid",
        subject=letter[0],
        body=letter[1],
        attachments=(mailbox_actions.OutgoingAttachment(filename, "application/pdf", pdf),),
        actor=actor,
    )
    return decision


@transaction.atomic
def issue_further_decision(
    *, case: Case, outcome: str, pdf: bytes, filename: str, subject: str, body: str, actor: Actor
) -> Decision:
    """A further Bescheid on a decided case, kept and delivered like the first; the
    case's status stays."""
    case = Case.objects.select_for_update().select_related("submission").get(pk=case.pk)
    if case.submission.status not in {Status.DECIDED, Status.CLOSED}:
        raise Conflict(
            _("Ein weiterer Bescheid folgt nur auf einen entschiedenen Vorgang."),
            code="not_decided",
        )
    if outcome not in Decision.Outcome.values or not pdf.startswith(b"%PDF-"):
        raise InvalidInput(_("Der Bescheid muss eine PDF-Datei sein."), code="not_pdf")
    decision = file_decision(
        case,
        outcome=outcome,
        pdf=pdf,
        filename=filename,
        generated=True,
        letter=(subject, body),
        actor=actor,
    )
    record_audit(
        action="casework.further_decision",
        actor=actor,
        obj=case,
        outcome=outcome,
        sha256=decision.sha256,
    )
    return decision
