"""Reads of the Postfach, with every access check.

An account holder reaches the messages addressed to their account; an applicant without an
account reaches the messages of their case with Vorgangsnummer and access code (checked in
constant time); the back office reads a case's thread through `thread_for_case` after its
own staff check. Replies are sealed to the authority: only `open_reply` with the
authority's private key reads them.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.storage import Storage, storages
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.applications import queries as application_queries
from verbund.applications.types import Submission
from verbund.core import sealing
from verbund.core.encryption import fernet
from verbund.core.errors import DomainError, NotFound
from verbund.core.models import AuditEntry
from verbund.mailbox.models import (
    AccessFailure,
    AnonymousPostfach,
    Message,
    MessageAttachment,
    MessageKind,
    Reply,
)

User = AbstractBaseUser | AnonymousUser

# A hash no access code has: compared against when the number is unknown, so that a wrong
# number takes as long as a wrong code.
_NO_SECRET = "0" * 64


def attachment_storage() -> Storage:
    return storages["attachments"]


def _messages() -> QuerySet[Message]:
    return Message.objects.select_related("submission__service", "sender_authority")


def _not_found() -> NotFound:
    return NotFound(_("Diese Nachricht gibt es nicht."), code="unknown_message")


# --- account holders ------------------------------------------------------------------------


def messages_for_holder(user: User) -> QuerySet[Message]:
    """The messages in the holder's Postfach, newest first, with the number of attachments."""
    if not user.is_authenticated:
        return Message.objects.none()
    return _messages().filter(recipient_id=user.pk).annotate(attachment_count=Count("attachments"))


def unread_count(user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Message.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def get_message_for_holder_or_404(user: User, pk: Any) -> Message:
    """A message of the holder's Postfach; NotFound for every other message and person."""
    message = messages_for_holder(user).filter(pk=pk).first() if _is_uuid(pk) else None
    if message is None:
        raise _not_found()
    return message


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# --- applicants without an account ----------------------------------------------------------


def get_submission_for_anonymous(vorgangsnummer: str, secret: str) -> Submission:
    """The case of an applicant without an account, by Vorgangsnummer and access code.

    Cases of account holders are not reachable this way: their messages are in the account.
    Unknown number, wrong code and account case all answer the same NotFound."""
    number = vorgangsnummer.strip().upper()
    submission = application_queries.anonymous_submission(number) if number else None
    expected = submission.status_secret_hash if submission is not None else _NO_SECRET
    matches = application_queries.access_code_matches(secret, expected)
    if submission is None or not matches or not secret.strip():
        raise NotFound(
            _("Zu dieser Vorgangsnummer und diesem Zugangscode gibt es kein Postfach."),
            code="unknown_postfach",
        )
    return submission


def messages_for_anonymous(vorgangsnummer: str, secret: str) -> QuerySet[Message]:
    """The messages of a case's anonymous Postfach; NotFound unless number and code match."""
    submission = get_submission_for_anonymous(vorgangsnummer, secret)
    return (
        _messages()
        .filter(submission=submission, recipient__isnull=True)
        .annotate(attachment_count=Count("attachments"))
    )


def get_message_for_anonymous_or_404(vorgangsnummer: str, secret: str, pk: Any) -> Message:
    message = (
        messages_for_anonymous(vorgangsnummer, secret).filter(pk=pk).first()
        if _is_uuid(pk)
        else None
    )
    if message is None:
        raise _not_found()
    return message


def reply_of_submission(reply_id: Any, submission_id: Any) -> Reply | None:
    """A reply to a case by its id, or None (also for an id that is no UUID); the caller
    has checked the case's access."""
    if not _is_uuid(reply_id):
        return None
    return Reply.objects.filter(pk=reply_id, submission_id=submission_id).first()


def notification_email_of(submission: Submission) -> str:
    postfach = AnonymousPostfach.objects.filter(submission=submission).first()
    return postfach.notification_email if postfach else ""


@dataclass(frozen=True)
class Throttle:
    blocked: bool
    retry_at: datetime.datetime | None = None


def anonymous_access_throttle(*, vorgangsnummer: str, ip_address: str | None) -> Throttle:
    """Whether the anonymous Postfach refuses another attempt from this client for this
    number, or from this client at all. Never for the number as such: that would lock the
    rightful holder out whenever somebody else guesses. Guessing from many addresses gains
    nothing, the access code has 144 random bits (`applications.actions`)."""
    window = datetime.timedelta(seconds=settings.VERBUND_POSTFACH_THROTTLE_WINDOW)
    recent = AccessFailure.objects.filter(at__gte=timezone.now() - window)
    checks = [
        (
            recent.filter(
                vorgangsnummer=vorgangsnummer.strip().upper()[:40], ip_address=ip_address
            ),
            settings.VERBUND_POSTFACH_THROTTLE_FAILURES,
        )
    ]
    if ip_address:
        checks.append(
            (recent.filter(ip_address=ip_address), settings.VERBUND_POSTFACH_THROTTLE_IP_FAILURES)
        )
    for failures, limit in checks:
        times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            return Throttle(blocked=True, retry_at=times[-1] + window)
    return Throttle(blocked=False)


# --- reading a message ----------------------------------------------------------------------


def attachments_of(message: Message) -> QuerySet[MessageAttachment]:
    return message.attachments.all()


def get_attachment_or_404(message: Message, pk: Any) -> MessageAttachment:
    attachment = message.attachments.filter(pk=pk).first() if _is_uuid(pk) else None
    if attachment is None:
        raise NotFound(_("Diesen Anhang gibt es nicht."), code="unknown_attachment")
    return attachment


class AttachmentDamaged(DomainError):
    status = 409
    code = "attachment_damaged"


def read_attachment(attachment: MessageAttachment) -> bytes:
    """The plain document, checked against the SHA-256 recorded when it was sent."""
    with attachment_storage().open(attachment.storage_name, "rb") as fh:
        stored = fh.read()
    content: bytes = fernet().decrypt(stored)
    if sealing.sha256_hex(content) != attachment.sha256:
        raise AttachmentDamaged(_("Der Anhang wurde nach dem Versand verändert."))
    return content


def replies_to(message: Message) -> QuerySet[Reply]:
    return message.replies.annotate(attachment_count=Count("attachments")).order_by("sent_at")


# --- the back office ------------------------------------------------------------------------


def thread_for_case(submission: Submission) -> list[Message | Reply]:
    """Every message and reply of a case, oldest first. The caller (casework) has checked
    that the staff member may see the case."""
    messages = list(
        Message.objects.filter(submission=submission)
        .select_related("sender_authority", "sent_by")
        .prefetch_related("attachments")
    )
    replies = list(
        Reply.objects.filter(submission=submission)
        .select_related("key", "author")
        .prefetch_related("attachments")
    )
    thread: list[Message | Reply] = [*messages, *replies]
    thread.sort(key=lambda entry: (entry.sent_at, 0 if isinstance(entry, Message) else 1))
    return thread


@dataclass(frozen=True)
class OpenedAttachment:
    id: str
    filename: str
    media_type: str
    content: bytes
    sha256: str


@dataclass(frozen=True)
class OpenedReply:
    reply: Reply
    body: str
    attachments: list[OpenedAttachment] = field(default_factory=list)


def open_reply(reply: Reply, private_jwk: dict[str, Any]) -> OpenedReply:
    """Decrypt a reply with the authority's private key (casework obtains it through
    `authorities.queries.private_key_for_staff`). Any changed byte or hash fails."""
    try:
        plain = sealing.open_sealed(reply.encrypted_content, private_jwk)
    except sealing.SealError as exc:
        raise AttachmentDamaged(str(exc)) from None
    if sealing.sha256_hex(plain) != reply.content_sha256:
        raise AttachmentDamaged(_("Die Antwort stimmt nicht mit ihrer Prüfsumme überein."))
    content = json.loads(plain)
    names = {entry["id"]: entry for entry in content.get("attachments", [])}
    storage = attachment_storage()
    opened = []
    for attachment in reply.attachments.all():
        with storage.open(attachment.storage_name, "rb") as fh:
            token = fh.read()
        if sealing.sha256_hex(token) != attachment.ciphertext_sha256:
            raise AttachmentDamaged(_("Ein Anhang wurde nach dem Eingang verändert."))
        try:
            data = sealing.open_sealed(token, private_jwk)
        except sealing.SealError as exc:
            raise AttachmentDamaged(str(exc)) from None
        if sealing.sha256_hex(data) != attachment.sha256:
            raise AttachmentDamaged(_("Ein Anhang stimmt nicht mit seiner Prüfsumme überein."))
        entry = names.get(str(attachment.id), {})
        opened.append(
            OpenedAttachment(
                id=str(attachment.id),
                filename=str(entry.get("filename", attachment.id)),
                media_type=attachment.media_type,
                content=data,
                sha256=attachment.sha256,
            )
        )
    return OpenedReply(reply=reply, body=str(content.get("body", "")), attachments=opened)


# --- status monitor -------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime.datetime
    label: str


@dataclass
class CaseStatus:
    submission: Submission
    status_label: str
    history: list[HistoryEntry]
    unread: int = 0


_EVENT_LABELS = {
    "application.submitted": lambda: _("Antrag eingereicht"),
    "application.released": lambda: _("Antrag nach der Zahlung an die Behörde übermittelt"),
}


def status_label(value: str) -> str:
    labels = dict(Submission._meta.get_field("status").flatchoices)
    return str(labels.get(value, value))


def _history_from_audit(entry: AuditEntry) -> str:
    label = _EVENT_LABELS.get(entry.action)
    if label is not None:
        return str(label())
    after = entry.after if isinstance(entry.after, dict) else {}
    if after.get("status"):
        return _("Status: %(status)s") % {"status": status_label(str(after["status"]))}
    return ""


def status_monitor_for(user: User) -> list[CaseStatus]:
    """Every application of the holder with its current state and its history (§ 19
    ThürEGovG: status of the procedure), from the audit log and the Postfach."""
    submissions = list(application_queries.submissions_of(user))
    if not submissions:
        return []
    ids = [str(s.pk) for s in submissions]
    history: dict[str, list[HistoryEntry]] = {key: [] for key in ids}
    entries = AuditEntry.objects.filter(
        object_type=Submission._meta.label_lower, object_id__in=ids
    ).order_by("at", "id")
    for entry in entries:
        label = _history_from_audit(entry)
        if label:
            history[entry.object_id].append(HistoryEntry(at=entry.at, label=label))
    unread: dict[str, int] = {}
    for message in Message.objects.filter(
        Q(recipient_id=user.pk), submission_id__in=[s.pk for s in submissions]
    ).only("submission_id", "kind", "sent_at", "read_at"):
        key = str(message.submission_id)
        history[key].append(
            HistoryEntry(
                at=message.sent_at,
                label=_("Nachricht der Behörde: %(kind)s")
                % {"kind": MessageKind(message.kind).label},
            )
        )
        if message.read_at is None:
            unread[key] = unread.get(key, 0) + 1
    for reply in Reply.objects.filter(
        author_id=user.pk, submission_id__in=[s.pk for s in submissions]
    ).only("submission_id", "sent_at"):
        history[str(reply.submission_id)].append(
            HistoryEntry(at=reply.sent_at, label=_("Ihre Antwort an die Behörde"))
        )
    return [
        CaseStatus(
            submission=s,
            status_label=status_label(s.status),
            history=sorted(history[str(s.pk)], key=lambda h: h.at, reverse=True),
            unread=unread.get(str(s.pk), 0),
        )
        for s in submissions
    ]


# --- account data ---------------------------------------------------------------------------


def export_for_user(user: Any) -> list[dict[str, Any]]:
    """The holder's Postfach for the self-service export (attachments by name and hash)."""
    return [
        {
            "id": str(m.pk),
            "vorgangsnummer": m.submission.vorgangsnummer,
            "authority": m.sender_authority.name,
            "kind": m.kind,
            "subject": m.subject,
            "body": m.body,
            "sentAt": m.sent_at.isoformat(),
            "readAt": m.read_at.isoformat() if m.read_at else None,
            "attachments": [
                {"filename": a.filename, "mediaType": a.media_type, "sha256": a.sha256}
                for a in m.attachments.all()
            ],
        }
        for m in messages_for_holder(user).prefetch_related("attachments")
    ]


# --- usage metering (read by costs) ---------------------------------------------------------


def messages_per_authority(start: datetime.datetime, end: datetime.datetime) -> dict[int, int]:
    """Postfach messages each authority sent in [start, end)."""
    rows = (
        Message.objects.filter(sent_at__gte=start, sent_at__lt=end)
        .values("sender_authority_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["sender_authority_id"]: r["n"] for r in rows}


def message_attachment_bytes_per_authority(end: datetime.datetime) -> dict[int, int]:
    """Bytes of the attachments of the messages each authority sent before `end`."""
    rows = (
        MessageAttachment.objects.filter(message__sent_at__lt=end)
        .values("message__sender_authority_id")
        .annotate(n=Sum("size"))
        .order_by()
    )
    return {r["message__sender_authority_id"]: int(r["n"] or 0) for r in rows}
