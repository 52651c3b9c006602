"""Every state change of the back office: one atomic function each, audited in the same
transaction. The workflow's allowed transitions are decided in `rules.TRANSITIONS` only;
the case's state itself is `Submission.status` (set through `applications.actions`), so the
applicant's status page always shows what the authority recorded."""

from __future__ import annotations

import datetime
import json
import logging
import secrets
import urllib.request
import uuid
from functools import partial
from typing import Any

from django.conf import settings
from django.db import router, transaction
from django.db.models import Subquery
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from verbund.applications import actions as application_actions
from verbund.applications import queries as application_queries
from verbund.applications.types import Submission
from verbund.authorities.types import Authority
from verbund.casework import decisions, queries, rules
from verbund.casework.decisions import issue_further_decision as issue_further_decision
from verbund.casework.models import (
    Case,
    CaseNameToken,
    CaseNote,
    Decision,
    Handoff,
    ServiceTerms,
)
from verbund.catalogue.types import Service
from verbund.core import sealing
from verbund.core.audit import Actor, record_audit
from verbund.core.errors import Conflict, InvalidInput
from verbund.core.models import AuditEntry
from verbund.core.prepared import PreparedInsert

logger = logging.getLogger("verbund.casework")

Status = Submission.Status


def _audit(case: Case, action: str, actor: Actor, **details: Any) -> None:
    record_audit(action=f"casework.{action}", actor=actor, obj=case, **details)


def _transition(case: Case, target: str, *, actor: Actor, note: str = "") -> Submission:
    """Move the case to `target` if the workflow allows it (the one check, in rules)."""
    submission = application_queries.submission_for_update(case.pk)
    if not rules.can_transition(submission.status, target):
        raise Conflict(
            _("Ein Vorgang im Status „%(a)s“ kann nicht in den Status „%(b)s“ wechseln.")
            % {"a": submission.get_status_display(), "b": Status(target).label},
            code="invalid_transition",
        )
    updated = application_actions.set_submission_status(
        submission=submission, status=target, actor=actor, note=note
    )
    case.submission = updated
    return updated


def _post(
    case: Case,
    *,
    kind: str,
    subject: str,
    body: str,
    actor: Actor,
    attachments: tuple[Any, ...] = (),
    reply_requested: bool = False,
) -> Any:
    from verbund.mailbox import actions as mailbox_actions

    return mailbox_actions.post_message(
        submission=case.submission,
        sender_authority=case.submission.authority,
        kind=kind,
        subject=subject,
        body=body,
        attachments=attachments,
        reply_requested=reply_requested,
        actor=actor,
    )


# --- intake ---------------------------------------------------------------------------------


def _index_name(case: Case, data: Any) -> None:
    names = rules.applicant_names(data)
    tokens = rules.blind_tokens(
        names, key=queries.search_key(), scope=str(case.submission.authority_id)
    )
    CaseNameToken.objects.filter(case=case).delete()
    CaseNameToken.objects.bulk_create([CaseNameToken(case=case, token=t) for t in sorted(tokens)])
    case.name_indexed = True
    case.save(update_fields=["name_indexed", "updated_at"])


@transaction.atomic(savepoint=False)  # part of the release: fails with it, never alone
def open_case_record(*, submission: Submission, document: dict[str, Any] | None = None) -> Case:
    """Receive a released submission into the authority's inbox: deadline from the service's
    processing-time target, the applicant's name in the blind index when the platform saw the
    form (web), and the specialist system notified after commit."""
    processing_days, _retention = queries.terms_for(submission.service)
    received = timezone.localdate(submission.released_at or timezone.now())
    case = Case(submission=submission, deadline=rules.deadline_for(received, processing_days))
    if not _insert_new_case(case):
        return Case.objects.get(pk=submission.pk)
    if document is not None:
        _index_name(case, document.get("data", document))
    _audit(case, "received", "system", deadline=case.deadline.isoformat())
    enqueue_webhook(case=case, authority_id=submission.authority_id)
    return case


def _insert_new_case(case: Case) -> bool:
    """Insert the case unless one exists (a release seen twice) in one statement; the row
    count tells which."""
    return _INSERT_CASE_UNLESS_OPEN.insert([case], using=router.db_for_write(Case)) == 1


_INSERT_CASE_UNLESS_OPEN = PreparedInsert(Case, ignore_conflicts=True)


def on_submission_released(*, submission: Submission, document: dict[str, Any] | None) -> None:
    open_case_record(submission=submission, document=document)


@transaction.atomic
def index_applicant_name(*, case: Case, data: Any, actor: Actor) -> Case:
    """Index the name after the first decryption (API submissions arrive sealed)."""
    _index_name(case, data)
    _audit(case, "name_indexed", actor)
    return case


# --- the workflow ---------------------------------------------------------------------------


@transaction.atomic
def take_case(*, case: Case, actor: Any) -> Case:
    """eingegangen/weitergeleitet → in Bearbeitung; the clerk takes it over."""
    _transition(case, Status.IN_PROGRESS, actor=actor)
    case.assignee = actor
    case.save(update_fields=["assignee", "updated_at"])
    _audit(case, "taken", actor, assignee=actor.pk)
    return case


@transaction.atomic
def assign_case(*, case: Case, assignee: Any | None, actor: Actor) -> Case:
    if assignee is not None and not queries.colleagues(case.submission.authority).filter(
        user=assignee
    ):
        raise InvalidInput(_("Diese Person arbeitet nicht in der Behörde."), code="not_colleague")
    before = case.assignee_id
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    _audit(
        case,
        "assigned",
        actor,
        before={"assignee": before},
        after={"assignee": assignee.pk if assignee else None},
    )
    return case


@transaction.atomic
def request_information(*, case: Case, subject: str, body: str, actor: Actor) -> Case:
    """in Bearbeitung → Rückfrage: a Postfach message asking for more information or
    documents; the applicant's reply brings the case back (see `resume_after_reply`)."""
    if not body.strip():
        raise InvalidInput(_("Bitte beschreiben Sie, was fehlt."), code="body_missing")
    _transition(case, Status.INFORMATION_NEEDED, actor=actor)
    _post(
        case,
        kind="rueckfrage",
        subject=subject.strip() or _("Rückfrage zu Ihrem Antrag"),
        body=body.strip(),
        reply_requested=True,
        actor=actor,
    )
    _audit(case, "information_requested", actor)
    return case


@transaction.atomic
def resume_after_reply(*, submission: Submission, actor: Actor = "postfach") -> Case | None:
    """The applicant answered a Rückfrage: the case is back in Bearbeitung."""
    case = Case.objects.select_related("submission").filter(pk=submission.pk).first()
    if case is None or case.submission.status != Status.INFORMATION_NEEDED:
        return case
    _transition(case, Status.IN_PROGRESS, actor=actor)
    _audit(case, "information_received", actor)
    return case


def on_reply(reply: Any) -> None:
    """Callback for `mailbox.extensions.on_reply`: a Rückfrage answered → in Bearbeitung."""
    resume_after_reply(submission=reply.submission)


def render_decision_pdf(*, bescheid: queries.Bescheid) -> bytes:
    """The Bescheid as tagged PDF (PDF/UA-1: structure tree, language, title), so that a
    screen reader reads it in order (BITV 2.0 for documents the authority sends)."""
    from weasyprint import HTML  # late: loads Pango

    with translation.override("de"):
        html = render_to_string("casework/bescheid_pdf.html", {"b": bescheid})
    pdf: bytes = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    return pdf


def _derived_addressee(case: Case, actor: Actor) -> str:
    """The applicant's name and address from the form, for callers that do not name the
    addressee (the web form always does: the clerk checks the proposal in the preview)."""
    try:
        opened = queries.open_case(actor, case)  # type: ignore[arg-type]
    except Exception:
        return ""
    submission = case.submission
    return rules.addressee_from(
        opened.data, place_plz=submission.place_plz, place_name=submission.place_name
    )


@transaction.atomic
def decide_case(
    *,
    case: Case,
    outcome: str,
    actor: Actor,
    pdf: bytes | None = None,
    filename: str = "",
    text: str = "",
    addressee: str = "",
    reasons: str = "",
) -> Decision:
    """in Bearbeitung → entschieden: the Bescheid (an uploaded PDF, or one generated from the
    template: authority, `addressee`, decision `text`, `reasons`, the service's
    Rechtsbehelfsbelehrung) is kept sealed for the authority and sent to the Postfach."""
    if outcome not in Decision.Outcome.values:
        raise InvalidInput(
            _("Bitte wählen Sie das Ergebnis."),
            code="outcome_missing",
            errors={"outcome": _("Bitte wählen Sie das Ergebnis.")},
        )
    generated = pdf is None
    if pdf is None:
        if not text.strip():
            raise InvalidInput(
                _("Bitte schreiben Sie die Entscheidung (Tenor)."),
                code="decision_missing",
                errors={"text": _("Bitte schreiben Sie die Entscheidung (Tenor).")},
            )
        addressee = addressee.strip() or _derived_addressee(case, actor)
        errors = rules.decision_errors(
            outcome=outcome, addressee=addressee, text=text, reasons=reasons
        )
        if errors:
            raise InvalidInput(
                next(iter(errors.values())), code="decision_incomplete", errors=errors
            )
        bescheid = queries.bescheid_content(
            case, outcome=outcome, addressee=addressee, text=text, reasons=reasons
        )
        pdf = render_decision_pdf(bescheid=bescheid)
    if not pdf.startswith(b"%PDF-"):
        raise InvalidInput(_("Der Bescheid muss eine PDF-Datei sein."), code="not_pdf")
    _transition(case, Status.DECIDED, actor=actor)
    submission = case.submission
    filename = filename or f"Bescheid-{submission.vorgangsnummer}.pdf"
    decision = decisions.file_decision(
        case,
        outcome=outcome,
        pdf=pdf,
        filename=filename,
        generated=generated,
        letter=(
            _("Bescheid zu Ihrem Antrag %(n)s: %(outcome)s")
            % {"n": submission.vorgangsnummer, "outcome": Decision.Outcome(outcome).label},
            _(
                "Über Ihren Antrag wurde entschieden: %(outcome)s. Den Bescheid mit der "
                "Begründung finden Sie im Anhang."
            )
            % {"outcome": Decision.Outcome(outcome).label},
        ),
        actor=actor,
    )
    _audit(case, "decided", actor, outcome=outcome, sha256=decision.sha256, generated=generated)
    return decision


@transaction.atomic
def reject_case(*, case: Case, reason: str, actor: Actor) -> Case:
    """→ abgelehnt (e.g. inadmissible), with the reason told to the applicant."""
    if not reason.strip():
        raise InvalidInput(_("Bitte begründen Sie die Ablehnung."), code="reason_missing")
    _transition(case, Status.REJECTED, actor=actor, note=reason.strip())
    _post(
        case,
        kind="info",
        subject=_("Ihr Antrag %(n)s wurde abgelehnt") % {"n": case.submission.vorgangsnummer},
        body=reason.strip(),
        actor=actor,
    )
    _audit(case, "rejected", actor)
    return case


@transaction.atomic
def close_case(*, case: Case, actor: Actor, now: datetime.datetime | None = None) -> Case:
    """entschieden/abgelehnt → abgeschlossen; the retention period starts."""
    _transition(case, Status.CLOSED, actor=actor)
    moment = now or timezone.now()
    _processing, retention = queries.terms_for(case.submission.service)
    case.closed_at = moment
    case.purge_after = rules.purge_date(timezone.localdate(moment), retention)
    case.save(update_fields=["closed_at", "purge_after", "updated_at"])
    _audit(case, "closed", actor, purge_after=case.purge_after.isoformat())
    return case


@transaction.atomic
def forward_case(
    *, case: Case, to: Authority, reason: str, actor: Any, passphrase: str = ""
) -> Case:
    """→ weitergeleitet: the responsibility was wrong. Data and attachments are decrypted with
    this authority's key and sealed anew to the receiving authority's; the applicant is told
    in the Postfach; the receiving authority's specialist system is notified."""
    if not reason.strip():
        raise InvalidInput(_("Bitte begründen Sie die Weiterleitung."), code="reason_missing")
    if to.pk == case.submission.authority_id:
        raise InvalidInput(_("Bitte wählen Sie eine andere Behörde."), code="same_authority")
    if not to.is_tenant:
        raise InvalidInput(
            _("Diese Behörde nimmt keine Anträge über die Plattform an."), code="not_a_tenant"
        )
    opened = queries.open_case(actor, case, passphrase=passphrase)
    source = case.submission.authority
    _transition(case, Status.FORWARDED, actor=actor, note=reason.strip())
    metadata = dict(opened.metadata)
    metadata["destination"] = to.slug
    metadata["forwardedFrom"] = source.slug
    resealed = application_actions.reseal_submission(
        submission=case.submission,
        authority=to,
        basis="forwarded",
        basis_explanation=_("Weitergeleitet von %(a)s: %(r)s") % {"a": source.name, "r": reason},
        plain_data=sealing.canonical_json(opened.document),
        plain_metadata=sealing.canonical_json(metadata),
        attachments={a.id: a.content for a in opened.attachments},
        actor=actor,
    )
    case.submission = resealed
    processing_days, _r = queries.terms_for(resealed.service)
    case.assignee = None
    case.deadline = rules.deadline_for(timezone.localdate(), processing_days)
    case.save(update_fields=["assignee", "deadline", "updated_at"])
    _index_name(case, opened.data)
    _post(
        case,
        kind="info",
        subject=_("Ihr Antrag %(n)s wurde weitergeleitet") % {"n": resealed.vorgangsnummer},
        body=_("Ihr Antrag wurde an die zuständige Stelle %(to)s weitergeleitet. Grund: %(r)s")
        % {"to": to.name, "r": reason.strip()},
        actor=actor,
    )
    _audit(case, "forwarded", actor, before={"authority": source.pk}, after={"authority": to.pk})
    enqueue_webhook(case=case, authority_id=to.pk)
    return case


@transaction.atomic
def set_status_from_handoff(*, case: Case, status: str, note: str, actor: Actor) -> Case:
    """The specialist system reports a state (in Bearbeitung, Rückfrage, abgelehnt,
    abgeschlossen); the same workflow rules and Postfach messages as in the web."""
    if status == Status.INFORMATION_NEEDED:
        return request_information(case=case, subject="", body=note, actor=actor)
    if status == Status.REJECTED:
        return reject_case(case=case, reason=note, actor=actor)
    if status == Status.CLOSED:
        return close_case(case=case, actor=actor)
    if status == Status.IN_PROGRESS:
        _transition(case, Status.IN_PROGRESS, actor=actor, note=note)
        _audit(case, "status_from_handoff", actor, status=status)
        return case
    raise InvalidInput(
        _("Diesen Status kann das Fachverfahren nicht setzen: %(s)s") % {"s": status},
        code="status_not_settable",
    )


@transaction.atomic
def add_note(*, case: Case, text: str, actor: Any) -> CaseNote:
    if not text.strip():
        raise InvalidInput(_("Die Notiz ist leer."), code="note_empty")
    note = CaseNote.objects.create(case=case, author=actor, text=text.strip())
    _audit(case, "note_added", actor, note=note.pk)
    return note


# --- settings of the authority --------------------------------------------------------------


@transaction.atomic
def set_service_terms(
    *, service: Service, processing_days: int, retention_days: int, actor: Actor
) -> ServiceTerms:
    terms, _created = ServiceTerms.objects.update_or_create(
        service=service,
        defaults={"processing_days": processing_days, "retention_days": retention_days},
    )
    record_audit(
        action="casework.service_terms",
        actor=actor,
        obj=terms,
        after={"processing_days": processing_days, "retention_days": retention_days},
    )
    return terms


@transaction.atomic
def configure_webhook(*, authority: Authority, url: str, actor: Actor) -> tuple[Handoff, str]:
    """Set the webhook URL; a new signing secret is returned once (empty URL: switched off)."""
    handoff, _created = Handoff.objects.get_or_create(authority=authority)
    secret = secrets.token_urlsafe(32) if url else ""
    handoff.webhook_url = url
    handoff.webhook_secret = secret
    handoff.save(update_fields=["webhook_url", "webhook_secret", "updated_at"])
    record_audit(action="casework.webhook_configured", actor=actor, obj=handoff, url=url)
    return handoff, secret


@transaction.atomic
def issue_api_key(*, authority: Authority, actor: Actor) -> str:
    """A new API key for the specialist system (shown once; the old one stops working)."""
    handoff, _created = Handoff.objects.get_or_create(authority=authority)
    key = f"vbk_{secrets.token_urlsafe(32)}"
    handoff.api_key_hash = rules.api_key_hash(key)
    handoff.save(update_fields=["api_key_hash", "updated_at"])
    record_audit(action="casework.api_key_issued", actor=actor, obj=handoff)
    return key


# --- webhook --------------------------------------------------------------------------------


def webhook_payload(case: Case) -> dict[str, Any]:
    s = case.submission
    return {
        "event": "case.received",
        "vorgangsnummer": s.vorgangsnummer,
        "status": s.status,
        "authority": s.authority.slug,
        "service": {"slug": s.service.slug, "leikaKey": s.service.leika_key},
        "receivedAt": s.released_at.isoformat() if s.released_at else None,
        "deadline": case.deadline.isoformat(),
        "export": f"/api/v1/casework/fachverfahren/vorgaenge/{s.vorgangsnummer}",
    }


class WebhookFailed(Exception):
    """The specialist system did not accept the notice; the task tries again later."""


def enqueue_webhook(*, case: Case, authority_id: Any) -> None:
    """Queue the notice to the specialist system inside the caller's transaction (it is sent
    by the worker only once the case is committed), when the authority has one configured."""
    if not queries.has_specialist_system(authority_id):
        return
    from verbund.casework.tasks import deliver_webhook

    deliver_webhook.enqueue(
        submission_id=str(case.pk), authority_id=authority_id, delivery=str(uuid.uuid4())
    )


def send_webhook(*, submission_id: Any, authority_id: Any = None, delivery: str = "") -> bool:
    """POST the new case to the authority's specialist system, HMAC-signed; runs in the
    worker. A failure is audited and raised (the task retries), never undoes the receipt; a
    delivery already sent is not sent again (`X-Verbund-Delivery` lets the receiver drop a
    duplicate from a worker that died between sending and recording)."""
    # Most authorities have no specialist system: find that out with one narrow query
    # before loading the case.
    if authority_id is None:
        authority_id = Subquery(application_queries.authority_id_of_submission(submission_id))
    handoff = Handoff.objects.filter(authority_id=authority_id).exclude(webhook_url="").first()
    if handoff is None:
        return False
    case = (
        Case.objects.select_related("submission__authority", "submission__service")
        .filter(pk=submission_id)
        .first()
    )
    if case is None:
        return False
    if (
        delivery
        and AuditEntry.objects.filter(
            action="casework.webhook_sent", object_id=str(case.pk), details__delivery=delivery
        ).exists()
    ):
        return True
    body = json.dumps(webhook_payload(case), ensure_ascii=False).encode()
    timestamp = str(int(timezone.now().timestamp()))
    if not handoff.webhook_url.startswith(("https://", "http://")):
        return False
    request = urllib.request.Request(  # noqa: S310 (http(s) only, checked above)
        handoff.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Verbund-Timestamp": timestamp,
            "X-Verbund-Delivery": delivery,
            "X-Verbund-Signature": rules.sign_webhook(body, handoff.webhook_secret, timestamp),
        },
    )
    ok = False
    error = ""
    try:
        with urllib.request.urlopen(  # noqa: S310 (URL configured by the authority)
            request, timeout=settings.VERBUND_CASEWORK_WEBHOOK_TIMEOUT
        ) as response:
            ok = 200 <= response.status < 300
            error = "" if ok else f"HTTP {response.status}"
    except Exception as exc:
        error = type(exc).__name__
        logger.warning("Webhook for %s failed: %s", case.submission.vorgangsnummer, exc)
    with transaction.atomic():
        _audit(
            case,
            "webhook_sent" if ok else "webhook_failed",
            "system",
            error=error,
            delivery=delivery,
        )
    if not ok:
        raise WebhookFailed(f"{case.submission.vorgangsnummer}: {error}")
    return ok


# --- retention ------------------------------------------------------------------------------


@transaction.atomic
def purge_case(*, case: Case, actor: Actor) -> None:
    """Delete a closed case past its retention with all personal data: the submission (data,
    attachments), notes, name index, decisions, Postfach thread (cascade) and their files."""
    submission = case.submission
    names = [a.storage_name for a in submission.attachments.all()]
    names += [d.storage_name for d in case.decisions.all()]
    record_audit(
        action="casework.purged",
        actor=actor,
        object_type="casework.case",
        object_id=str(case.pk),
        service=submission.service.slug,
        authority=submission.authority_id,
        closed_at=case.closed_at.isoformat() if case.closed_at else None,
    )
    from verbund.mailbox import actions as mailbox_actions

    mailbox_actions.delete_postfach_of_case(submission=submission, actor=actor)
    submission.payments.all().delete()
    submission.delete()
    transaction.on_commit(partial(_delete_files, names))


def _delete_files(names: list[str]) -> None:
    storage = application_queries.attachment_storage()
    for name in names:
        storage.delete(name)


def purge_expired_cases(*, actor: Actor, today: datetime.date | None = None) -> int:
    count = 0
    for case in queries.expired_cases(today or timezone.localdate()).iterator():
        purge_case(case=case, actor=actor)
        count += 1
    return count
