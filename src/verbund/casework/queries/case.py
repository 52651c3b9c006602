"""One case: opening it (the only decryption), its history, decisions, thread, forwarding."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from verbund.applications import queries as application_queries
from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority
from verbund.casework import rules
from verbund.casework.models import Case, Decision, Handoff, ServiceTerms
from verbund.casework.queries.access import User, _not_found, get_case_for_staff_or_404
from verbund.catalogue.types import Service
from verbund.core.errors import DomainError
from verbund.core.memo import Memo
from verbund.core.models import AuditEntry


def open_case(
    user: User, case: Case, *, passphrase: str = ""
) -> application_queries.DecryptedSubmission:
    """Decrypt the form data and attachments with the authority's key (the only place)."""
    get_case_for_staff_or_404(user, str(case.submission.vorgangsnummer))
    return application_queries.decrypt_submission_for_staff(
        user, str(case.submission.vorgangsnummer), passphrase=passphrase
    )


def history(case: Case) -> QuerySet[AuditEntry]:
    """The audited steps of the case: submission, status changes, casework actions."""
    return AuditEntry.objects.filter(
        Q(object_type="applications.submission", object_id=str(case.pk))
        | Q(object_type="casework.case", object_id=str(case.pk))
    ).order_by("at", "id")


def decisions(case: Case) -> QuerySet[Decision]:
    return case.decisions.all()


def read_decision(user: User, case: Case, decision: Decision) -> bytes:
    """The Bescheid PDF, opened with the authority's key (checks access again)."""
    from verbund.core import sealing

    get_case_for_staff_or_404(user, str(case.submission.vorgangsnummer))
    private = authority_queries.private_key_for_staff(user, case.submission.key)
    with application_queries.attachment_storage().open(decision.storage_name, "rb") as fh:
        return sealing.open_sealed(fh.read(), private)


@dataclass(frozen=True)
class ThreadEntry:
    """One step of the Postfach conversation, as the authority reads it."""

    inbound: bool  # a reply of the applicant
    pk: str
    at: datetime.datetime
    kind: str
    subject: str
    body: str
    read_at: datetime.datetime | None
    attachments: list[tuple[str, str]]  # (id, filename)
    error: str = ""


def thread(user: User, case: Case) -> list[ThreadEntry]:
    """The Postfach conversation of the case; the applicant's replies decrypted with the
    authority's key (access checked again here)."""
    from verbund.mailbox import queries as mailbox_queries
    from verbund.mailbox.types import Message

    get_case_for_staff_or_404(user, str(case.submission.vorgangsnummer))
    entries: list[ThreadEntry] = []
    for item in mailbox_queries.thread_for_case(case.submission):
        if isinstance(item, Message):
            entries.append(
                ThreadEntry(
                    inbound=False,
                    pk=str(item.pk),
                    at=item.sent_at,
                    kind=item.get_kind_display(),
                    subject=str(item.subject),
                    body=str(item.body),
                    read_at=item.read_at,
                    attachments=[],
                )
            )
            continue
        try:
            private = authority_queries.private_key_for_staff(user, item.key)
            opened = mailbox_queries.open_reply(item, private)
        except DomainError as exc:
            entries.append(
                ThreadEntry(True, str(item.pk), item.sent_at, "", "", "", None, [], exc.message)
            )
            continue
        entries.append(
            ThreadEntry(
                inbound=True,
                pk=str(item.pk),
                at=item.sent_at,
                kind="",
                subject="",
                body=opened.body,
                read_at=None,
                attachments=[(a.id, a.filename) for a in opened.attachments],
            )
        )
    return entries


def reply_attachment(user: User, case: Case, reply_id: str, attachment_id: str) -> Any:
    """A file the applicant sent with a reply, decrypted; NotFound when not of this case."""
    from verbund.mailbox import queries as mailbox_queries

    get_case_for_staff_or_404(user, str(case.submission.vorgangsnummer))
    reply = mailbox_queries.reply_of_submission(reply_id, case.pk)
    if reply is None:
        raise _not_found()
    private = authority_queries.private_key_for_staff(user, reply.key)
    for attachment in mailbox_queries.open_reply(reply, private).attachments:
        if attachment.id == attachment_id:
            return attachment
    raise _not_found()


_TERMS: Memo[tuple[int, int]] = Memo()


def terms_for(service: Service) -> tuple[int, int]:
    """(processing days, retention days) of a service, defaults from the settings; kept per
    process (`core.memo`): every received submission asks."""
    return _TERMS.get(service.pk, lambda: _terms_for(service))


def _terms_for(service: Service) -> tuple[int, int]:
    terms = ServiceTerms.objects.filter(service=service).first()
    if terms is None:
        return (
            settings.VERBUND_CASEWORK_PROCESSING_DAYS,
            settings.VERBUND_CASEWORK_RETENTION_DAYS,
        )
    return terms.processing_days, terms.retention_days


# Whether an authority has a specialist system, kept per process: asked for every received
# submission. A new webhook gets cases after at most VERBUND_SUBMISSION_CACHE_SECONDS; a
# removed one is checked again by `actions.send_webhook` before anything is sent.
_HANDOFF: Memo[bool] = Memo()


def has_specialist_system(authority_id: Any) -> bool:
    return _HANDOFF.get(
        authority_id,
        lambda: Handoff.objects.filter(authority_id=authority_id).exclude(webhook_url="").exists(),
    )


def forward_targets(case: Case) -> QuerySet[Authority]:
    """The authorities a case may be forwarded to: those on the platform, but its own."""
    return (
        authority_queries.all_authorities()
        .filter(tenant_status="joined")
        .exclude(pk=case.submission.authority_id)
        .order_by("name")
    )


def forward_target(case: Case, slug: str) -> Authority:
    """The authority of `forward_targets` with this slug, or NotFound."""
    target = forward_targets(case).filter(slug=slug).first()
    if target is None:
        raise _not_found()
    return target


@dataclass(frozen=True)
class HistoryEvent:
    at: datetime.datetime
    text: str
    actor: str


def readable_history(case: Case) -> list[HistoryEvent]:
    """The case's audit trail as sentences, with the acting person's name (or the platform)."""
    events = []
    for entry in history(case).select_related("actor"):
        if entry.actor is not None:
            who = entry.actor.get_full_name() or entry.actor.get_username()
        elif entry.actor_label in ("system", "", "test"):
            who = _("Plattform")
        elif entry.actor_label == "postfach":
            who = _("antragstellende Person")
        else:
            who = entry.actor_label
        events.append(
            HistoryEvent(
                at=entry.at,
                text=rules.describe_event(entry.action, entry.details, entry.after),
                actor=who,
            )
        )
    return events


def forward_target_groups(case: Case, q: str = "") -> list[tuple[str, list[Authority]]]:
    """The forwarding targets grouped by Kreis (Land authorities first), each group and its
    authorities sorted by name; `q` keeps those whose name or Kreis contains it."""
    groups: dict[str, list[Authority]] = {}
    text = q.strip().casefold()
    land = _("Landes- und Bundesbehörden")
    # Only what the page shows: some 300 authorities on every case page (decision 0031).
    shown = ("name", "slug", "gebiet__level", "gebiet__name", "gebiet__kreis__name")
    for authority in forward_targets(case).select_related("gebiet__kreis").only(*shown):
        gebiet = authority.gebiet
        if gebiet is None or gebiet.level in ("land", "bund", "regierungsbezirk"):
            group = land
        elif gebiet.level == "kreis":
            group = gebiet.name
        else:
            group = gebiet.kreis.name if gebiet.kreis else gebiet.name
        if text and text not in authority.name.casefold() and text not in group.casefold():
            continue
        groups.setdefault(group, []).append(authority)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] != land, kv[0].casefold()))
    return [(name, sorted(items, key=lambda a: a.name.casefold())) for name, items in ordered]


def case_of_submission(submission_id: Any) -> Case | None:
    """The back-office case of a released submission, for a domain that links its own
    records to submissions (cooperation's funding applications); None if there is none."""
    return Case.objects.select_related("submission").filter(pk=submission_id).first()
