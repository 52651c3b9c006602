"""Writes of the Postfach: an authority posts a message, the applicant reads and replies.

Every function is one transaction with its audit row. Access is checked by the caller
(`queries.get_message_for_holder_or_404`, `queries.messages_for_anonymous`, or casework's
own staff checks before `post_message`). Notification mails leave only after the commit
and carry no personal content: no name, no subject, no case data. E-mail travels
unencrypted; the content stays in the Postfach and the mail only says that something waits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from verbund.applications.types import Submission
from verbund.authorities import actions as authority_actions
from verbund.authorities.types import Authority, EncryptionKey
from verbund.core import attachments as attachment_checks
from verbund.core import sealing
from verbund.core.audit import Actor, record_audit
from verbund.core.encryption import fernet
from verbund.core.errors import Conflict, InvalidInput
from verbund.integrations.mail import enqueue_mail
from verbund.mailbox import queries
from verbund.mailbox.extensions import run_reply_callbacks
from verbund.mailbox.models import (
    AccessFailure,
    AnonymousPostfach,
    Message,
    MessageAttachment,
    MessageKind,
    Reply,
    ReplyAttachment,
)

__all__ = [
    "MessageKind",
    "OutgoingAttachment",
    "delete_postfach_of_case",
    "mark_read",
    "post_message",
    "record_access_failure",
    "reply_to_message",
    "set_notification_email",
]

logger = logging.getLogger("verbund.mailbox")

SUBJECT_MAX = 200
ANONYMOUS = "anonyme antragstellende Person"


@dataclass(frozen=True)
class OutgoingAttachment:
    """A document an authority sends with a message, e.g. the Bescheid as PDF."""

    filename: str
    media_type: str
    content: bytes


@contextmanager
def _files_removed_on_error() -> Iterator[list[str]]:
    """Names saved to the attachment storage inside the block are deleted again when the
    block fails, so a refused or rolled-back write leaves no file behind."""
    saved: list[str] = []
    try:
        yield saved
    except BaseException:
        storage = queries.attachment_storage()
        for name in saved:
            storage.delete(name)
        raise


def _actor_user_id(actor: Actor) -> Any:
    return getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None


# --- the authority writes -------------------------------------------------------------------


@transaction.atomic
def post_message(
    *,
    submission: Submission,
    sender_authority: Authority,
    kind: MessageKind | str,
    subject: str,
    body: str,
    attachments: Sequence[OutgoingAttachment] = (),
    reply_requested: bool = False,
    notify: bool = True,
    actor: Actor,
) -> Message:
    """Put a message about a case into the applicant's Postfach: the account's, or the case's
    anonymous Postfach when the applicant has no account; then notify by e-mail (not for a
    message the applicant has in front of them anyway, such as the receipt)."""
    kind, subject, body = _checked_message(kind, subject, body)
    if not submission.vorgangsnummer or submission.status == Submission.Status.ANNOUNCED:
        raise Conflict(
            _("Zu einem nicht eingereichten Antrag können keine Nachrichten gesendet werden."),
            code="submission_not_submitted",
        )
    checked = [
        attachment_checks.check_upload(
            filename=attachment.filename, content=attachment.content, existing_count=index
        )
        for index, attachment in enumerate(attachments)
    ]
    message = Message.objects.create(
        submission=submission,
        sender_authority=sender_authority,
        recipient_id=submission.applicant_id,
        kind=kind,
        subject=subject,
        body=body,
        reply_requested=reply_requested,
        sent_by_id=_actor_user_id(actor),
    )
    with _files_removed_on_error() as saved:
        for attachment, check in zip(attachments, checked, strict=True):
            _store_message_attachment(message, attachment, check.media_type, saved)
        record_audit(
            action="mailbox.message_posted",
            actor=actor,
            obj=message,
            submission=str(submission.pk),
            vorgangsnummer=submission.vorgangsnummer,
            authority=sender_authority.pk,
            kind=str(kind),
            anonymous=message.recipient_id is None,
            reply_requested=reply_requested,
            attachments=[sealing.sha256_hex(a.content) for a in attachments],
        )
    address = _notification_address(message) if notify else ""
    if address:
        _notify_after_commit(message=message, to=address)
    return message


def _checked_message(
    kind: MessageKind | str, subject: str, body: str
) -> tuple[MessageKind, str, str]:
    """The message's kind, subject and text as stored, or InvalidInput naming each field."""
    try:
        kind = MessageKind(kind)
    except ValueError:
        raise InvalidInput(
            _("Diese Art von Nachricht gibt es nicht."), code="message_kind"
        ) from None
    subject, body = subject.strip(), body.strip()
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = _("Bitte geben Sie einen Betreff an.")
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = _("Der Betreff darf höchstens %(n)d Zeichen lang sein.") % {
            "n": SUBJECT_MAX
        }
    if not body:
        errors["body"] = _("Bitte schreiben Sie einen Text.")
    if errors:
        raise InvalidInput(
            _("Die Nachricht ist nicht vollständig."), code="message_invalid", errors=errors
        )
    return kind, subject, body


def _store_message_attachment(
    message: Message, attachment: OutgoingAttachment, media_type: str, saved: list[str]
) -> None:
    """One document of an authority's message, encrypted at rest in the attachment storage."""
    attachment_id = uuid.uuid4()
    name = queries.attachment_storage().save(
        f"mailbox/messages/{message.pk}/{attachment_id}.bin",
        ContentFile(fernet().encrypt(attachment.content)),
    )
    saved.append(name)
    MessageAttachment.objects.create(
        id=attachment_id,
        message=message,
        filename=attachment.filename[:255],
        media_type=media_type,
        size=len(attachment.content),
        sha256=sealing.sha256_hex(attachment.content),
        storage_name=name,
    )


def _notification_address(message: Message) -> str:
    if message.recipient_id is not None:
        recipient = message.recipient
        if recipient is None or not recipient.is_active:
            return ""
        return str(recipient.email or "")
    postfach = AnonymousPostfach.objects.filter(submission_id=message.submission_id).first()
    return postfach.notification_email if postfach else ""


def _notify_after_commit(*, message: Message, to: str) -> None:
    """A mail that says only that a message is waiting, and where: the message itself
    (and any name, subject or case data) stays in the Postfach."""
    path = (
        reverse("mailbox:index")
        if message.recipient_id is not None
        else reverse("mailbox:anonymous_access")
    )
    url = settings.VERBUND_PORTAL_URL.rstrip("/") + path
    with translation.override(settings.LANGUAGE_CODE):
        rendered = render_to_string(
            "mailbox/mail/message_waiting.txt",
            {"url": url, "anonymous": message.recipient_id is None},
        ).strip()
    subject, _sep, text = rendered.partition("\n")
    enqueue_mail(to=to, subject=subject, body=text)


# --- the applicant reads and replies --------------------------------------------------------


@transaction.atomic
def mark_read(*, message: Message, reader: Actor) -> None:
    """Record the first read of a message (read receipt for the authority); later reads
    change nothing."""
    now = timezone.now()
    updated = Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
    if not updated:
        return
    message.read_at = now
    record_audit(
        action="mailbox.message_read",
        actor=reader if reader is not None else ANONYMOUS,
        obj=message,
        submission=str(message.submission_id),
    )


@dataclass(frozen=True)
class _CheckedUpload:
    filename: str
    content: bytes
    media_type: str
    scan_status: str


def _check_uploads(uploads: Sequence[UploadedFile[bytes]]) -> list[_CheckedUpload]:
    checked: list[_CheckedUpload] = []
    problems: list[str] = []
    limit = settings.VERBUND_ATTACHMENT_MAX_BYTES
    for upload in uploads:
        name = str(upload.name or _("Datei"))
        # An oversized file is refused by its declared size before it is read into memory;
        # one byte more than the limit is enough for check_upload to say so.
        content = upload.read(limit + 1) if (upload.size or 0) > limit else upload.read()
        try:
            result = attachment_checks.check_upload(
                filename=name, content=content, existing_count=len(checked) + len(problems)
            )
        except InvalidInput as exc:
            problems.append(exc.message)
            continue
        checked.append(_CheckedUpload(name, content, result.media_type, result.scan_status))
    if problems:
        raise InvalidInput(
            " ".join(problems), code="attachment_invalid", errors={"attachments": problems}
        )
    return checked


@transaction.atomic
def reply_to_message(
    *,
    message: Message,
    body: str,
    attachments: Sequence[UploadedFile[bytes]] = (),
    actor_or_none: Actor,
) -> Reply:
    """Send the applicant's answer to the authority, bound to the case. Text, file names and
    files are sealed (JWE) to the active key of the case's authority at once; the platform
    keeps no readable copy. Casework's `on_reply` callbacks run in this transaction."""
    body = body.strip()
    checked = _checked_reply(body, attachments)
    submission = message.submission
    key = authority_actions.ensure_encryption_key(authority=submission.authority, actor="system")
    reply_id = uuid.uuid4()
    with _files_removed_on_error() as saved:
        sealed = [_seal_reply_attachment(reply_id, upload, key, saved) for upload in checked]
        listed = [entry for _row, entry in sealed]
        content = {
            "schema": "urn:verbund:postfach:reply:1",
            "vorgangsnummer": submission.vorgangsnummer,
            "message": str(message.pk),
            "body": body,
            "attachments": listed,
        }
        plain = sealing.canonical_json(content)
        reply = Reply.objects.create(
            id=reply_id,
            message=message,
            submission=submission,
            author_id=_actor_user_id(actor_or_none),
            key=key,
            encrypted_content=sealing.seal(plain, key.public_jwk, cty="application/json"),
            content_sha256=sealing.sha256_hex(plain),
        )
        ReplyAttachment.objects.bulk_create([row for row, _entry in sealed])
        record_audit(
            action="mailbox.reply_received",
            actor=actor_or_none if actor_or_none is not None else ANONYMOUS,
            obj=reply,
            submission=str(submission.pk),
            vorgangsnummer=submission.vorgangsnummer,
            message=str(message.pk),
            content_sha256=reply.content_sha256,
            attachments=[{"id": entry["id"], "sha256": entry["sha256"]} for entry in listed],
        )
        run_reply_callbacks(reply)
    return reply


def _checked_reply(body: str, attachments: Sequence[UploadedFile[bytes]]) -> list[_CheckedUpload]:
    """The reply's checked uploads, or InvalidInput naming what is wrong with text and files."""
    errors: dict[str, Any] = {}
    if len(body) > settings.VERBUND_POSTFACH_REPLY_MAX_CHARS:
        errors["body"] = _("Der Text darf höchstens %(n)d Zeichen lang sein.") % {
            "n": settings.VERBUND_POSTFACH_REPLY_MAX_CHARS
        }
    elif not body and not attachments:
        errors["body"] = _("Bitte schreiben Sie eine Antwort oder fügen Sie eine Datei bei.")
    try:
        checked = _check_uploads(attachments)
    except InvalidInput as exc:
        errors.update(exc.extra.get("errors", {}))
        checked = []
    if errors:
        raise InvalidInput(
            _("Die Antwort konnte nicht gesendet werden."), code="reply_invalid", errors=errors
        )
    return checked


def _seal_reply_attachment(
    reply_id: uuid.UUID, upload: _CheckedUpload, key: EncryptionKey, saved: list[str]
) -> tuple[ReplyAttachment, dict[str, Any]]:
    """One file of a reply sealed to the authority's key and stored: its row (not yet saved)
    and its entry in the sealed content's list of attachments."""
    attachment_id = uuid.uuid4()
    token = sealing.seal(upload.content, key.public_jwk, cty=upload.media_type)
    name = queries.attachment_storage().save(
        f"mailbox/replies/{reply_id}/{attachment_id}.jwe", ContentFile(token.encode())
    )
    saved.append(name)
    digest = sealing.sha256_hex(upload.content)
    row = ReplyAttachment(
        id=attachment_id,
        reply_id=reply_id,
        media_type=upload.media_type,
        size=len(upload.content),
        sha256=digest,
        ciphertext_sha256=sealing.sha256_hex(token.encode()),
        storage_name=name,
        scan_status=upload.scan_status,
    )
    entry = {
        "id": str(attachment_id),
        "filename": upload.filename[:255],
        "mediaType": upload.media_type,
        "sha256": digest,
        "size": len(upload.content),
    }
    return row, entry


@transaction.atomic
def set_notification_email(*, submission: Submission, email: str, actor: Actor) -> None:
    """The address (or none) to which the anonymous Postfach of a case sends its notices."""
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(
                _("Bitte geben Sie eine gültige E-Mail-Adresse an."),
                code="email_invalid",
                errors={"email": _("Bitte geben Sie eine gültige E-Mail-Adresse an.")},
            ) from None
    postfach, _created = AnonymousPostfach.objects.get_or_create(submission=submission)
    postfach.notification_email = email
    postfach.save(update_fields=["notification_email", "updated_at"])
    record_audit(
        action="mailbox.notification_email_set",
        actor=actor if actor is not None else ANONYMOUS,
        obj=postfach,
        given=bool(email),
    )


@transaction.atomic
def delete_postfach_of_case(*, submission: Submission, actor: Actor) -> int:
    """Delete a case's messages and replies with their files (retention: casework calls this
    before it deletes a closed case). Files go after the commit. Returns the number of
    messages deleted."""
    names = list(
        MessageAttachment.objects.filter(message__submission=submission).values_list(
            "storage_name", flat=True
        )
    ) + list(
        ReplyAttachment.objects.filter(reply__submission=submission).values_list(
            "storage_name", flat=True
        )
    )
    _total, per_model = Message.objects.filter(submission=submission).delete()
    messages = per_model.get(Message._meta.label, 0)
    AnonymousPostfach.objects.filter(submission=submission).delete()
    record_audit(
        action="mailbox.case_postfach_deleted",
        actor=actor,
        object_type=Submission._meta.label_lower,
        object_id=str(submission.pk),
        files=len(names),
    )

    def delete_files() -> None:
        storage = queries.attachment_storage()
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files)
    return messages


def record_access_failure(*, vorgangsnummer: str, ip_address: str | None) -> None:
    """Count a wrong Vorgangsnummer/access code pair for the rate limit."""
    AccessFailure.objects.create(vorgangsnummer=vorgangsnummer[:40], ip_address=ip_address)
