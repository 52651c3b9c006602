"""The submission API in the FIT-Connect shape: announce, upload the sender's JWE
attachments, complete; and the per-client rate limit of the public API."""

from __future__ import annotations

import datetime
import hashlib
import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.applications import extensions, queries, rules, sealing
from verbund.applications.access_codes import new_access_code
from verbund.applications.actions.files import delete_files
from verbund.applications.actions.receipt import (
    Receipt,
    save_with_number,
)
from verbund.applications.models import (
    ApiRateWindow,
    FormVersion,
    ScanStatus,
    Submission,
    SubmissionAttachment,
)
from verbund.authorities import actions as authority_actions
from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority, EncryptionKey
from verbund.core import memo
from verbund.core.audit import Actor, batched, record_audit
from verbund.core.encryption import decrypt, encrypt
from verbund.core.errors import Conflict, InvalidInput, TooManyRequests
from verbund.core.prepared import PreparedInsert

if TYPE_CHECKING:
    from verbund.catalogue.models import Service


def request_hash(body: Any) -> str:
    return hashlib.sha256(sealing.canonical_json(body)).hexdigest()


def announce_submission(
    *,
    service: Service,
    destination: Authority,
    responsible: queries.Responsibility,
    version: FormVersion,
    attachment_ids: list[str],
    idempotency_key: str,
    body_hash: str,
    place_ags: str = "",
    place_plz: str = "",
    key: EncryptionKey | None = None,
    actor: Actor,
) -> tuple[Submission, bool]:
    """Announce a submission with its attachment ids; the same Idempotency-Key returns the
    first announcement instead of a second one (`created` is False then).

    The key is unique in the database: a repeated announcement fails to insert and is then
    answered with the first one (no lookup before every insert)."""
    if responsible.authority is None or responsible.authority.pk != destination.pk:
        raise InvalidInput(
            _("Der Zustellpunkt ist für diese Leistung an diesem Ort nicht zuständig."),
            code="destination_not_responsible",
            responsible=responsible.authority.slug if responsible.authority else None,
        )
    if len(set(attachment_ids)) != len(attachment_ids):
        raise InvalidInput(
            _("Eine Anhang-ID ist doppelt angekündigt."), code="duplicate_attachment"
        )
    if len(attachment_ids) > settings.VERBUND_ATTACHMENT_MAX_COUNT:
        raise InvalidInput(
            _("Höchstens %(n)d Anhänge sind möglich.")
            % {"n": settings.VERBUND_ATTACHMENT_MAX_COUNT},
            code="too_many_attachments",
        )
    if key is None or key.authority_id != destination.pk or not key.active:
        key = authority_queries.active_encryption_key(
            destination
        ) or authority_actions.ensure_encryption_key(authority=destination, actor=actor)
    submission = Submission(
        status=Submission.Status.ANNOUNCED,
        channel=Submission.Channel.API,
        service=service,
        form_version=version,
        authority=destination,
        basis=responsible.basis,
        basis_explanation=responsible.explanation,
        place_ags=place_ags or responsible.gemeinde_ags,
        place_plz=place_plz,
        place_name=responsible.gemeinde_name,
        announced_attachments=[str(a) for a in attachment_ids],
        status_secret_hash="",
        idempotency_key=idempotency_key or None,
        request_sha256=body_hash,
    )
    try:
        with transaction.atomic():
            # The key may be remembered from an earlier request: the row names it only while
            # it is still the destination's active key (else NULL, which the column refuses).
            _INSERT_ANNOUNCED.insert([submission], computed={"key": (key.pk, destination.pk)})
            record_audit(
                action="application.announced",
                actor=actor,
                obj=submission,
                service=service.slug,
                authority=destination.pk,
                attachments=len(attachment_ids),
            )
    except IntegrityError:
        existing = _by_idempotency_key(idempotency_key, body_hash) if idempotency_key else None
        if existing is not None:
            return existing, False
        fresh = authority_queries.active_key_by_slug(destination.slug)
        if fresh is None or fresh.pk != key.pk or not fresh.authority.is_tenant:
            raise StaleDestination from None
        raise
    submission.key = key
    return submission, True


_INSERT_ANNOUNCED = PreparedInsert(
    Submission,
    computed={
        "key": (
            lambda key, authority: Subquery(authority_queries.key_if_still_active(key, authority)),
            [EncryptionKey._meta.pk, Authority._meta.pk],
        )
    },
)


class StaleDestination(Exception):
    """The destination's key changed since it was read: announce again with a fresh read."""


def _by_idempotency_key(key: str, body_hash: str) -> Submission | None:
    existing = (
        Submission.objects.select_related("key", "authority")
        .only(
            "id",
            "status",
            "announced_attachments",
            "request_sha256",
            "key__id",
            "key__kid",
            "authority__id",
            "authority__slug",
        )
        .filter(idempotency_key=key)
        .order_by()
        .first()
    )
    if existing is not None and existing.request_sha256 != body_hash:
        raise Conflict(
            _("Dieser Idempotency-Key wurde bereits für eine andere Anfrage verwendet."),
            code="idempotency_key_reused",
        )
    return existing


def store_sender_attachment(
    *, submission: queries.AnnouncedRef, attachment_id: str, token: str, actor: Actor
) -> SubmissionAttachment:
    """Take an attachment the sender encrypted (JWE for the destination's key). Uploading
    the same content again is harmless; after submitting, a changed file is refused.

    The first upload, the usual case, inserts without reading first; a repeated one finds
    the row when the primary key refuses the insert."""
    content = _checked_sender_attachment(submission, attachment_id, token)
    digest = sealing.sha256_hex(content)
    if submission.status != Submission.Status.ANNOUNCED:
        return _unchanged_attachment(submission, attachment_id, digest)
    storage = queries.attachment_storage()
    # The file is written before the row that names it is committed: a crash in between
    # leaves at most an unreferenced file, never a row without its file.
    stored = storage.save(f"submissions/{submission.pk}/{attachment_id}.jwe", ContentFile(content))
    try:
        with transaction.atomic():
            attachment = SubmissionAttachment(
                id=attachment_id,
                submission_id=submission.pk,
                size=len(content),
                ciphertext_sha256=digest,
                storage_name=stored,
                scan_status=ScanStatus.SENDER_ENCRYPTED,
            )
            _INSERT_ATTACHMENT.insert([attachment])
            _audit_attachment_upload(submission, attachment_id, digest, actor=actor)
    except IntegrityError:
        return _replace_sender_attachment(
            submission, attachment_id, digest, stored=stored, size=len(content), actor=actor
        )
    return attachment


_INSERT_ATTACHMENT = PreparedInsert(SubmissionAttachment)


def _checked_sender_attachment(
    submission: queries.AnnouncedRef, attachment_id: str, token: str
) -> bytes:
    """The upload's bytes, once it is an announced attachment, a JWE for the destination's
    key and within the size limit."""
    if attachment_id not in submission.announced_attachments:
        raise InvalidInput(
            _("Dieser Anhang wurde nicht angekündigt."), code="attachment_not_announced"
        )
    token = token.strip()
    try:
        sealing.check_sealed(token, kid=submission.kid)
    except sealing.SealError as exc:
        raise InvalidInput(str(exc), code="invalid_jwe") from None
    limit = settings.VERBUND_ATTACHMENT_MAX_BYTES * 4 // 3 + 4096
    if len(token) > limit:
        raise InvalidInput(_("Der Anhang ist zu groß."), code="attachment_too_large", status=413)
    return token.encode("ascii")


def _existing_sender_attachment(
    submission: queries.AnnouncedRef, attachment_id: str
) -> SubmissionAttachment | None:
    existing = SubmissionAttachment.objects.filter(pk=attachment_id).first()
    if existing is not None and existing.submission_id != submission.pk:
        raise Conflict(_("Diese Anhang-ID ist bereits vergeben."), code="attachment_id_taken")
    return existing


def _unchanged_attachment(
    submission: queries.AnnouncedRef, attachment_id: str, digest: str
) -> SubmissionAttachment:
    """After the completion only the same content again is accepted (a retried upload)."""
    existing = _existing_sender_attachment(submission, attachment_id)
    if existing is not None and existing.ciphertext_sha256 == digest:
        return existing
    raise Conflict(
        _("Die Einreichung ist bereits abgeschlossen; Anhänge sind nicht mehr änderbar."),
        code="submission_closed",
    )


@transaction.atomic
def _replace_sender_attachment(
    submission: queries.AnnouncedRef,
    attachment_id: str,
    digest: str,
    *,
    stored: str,
    size: int,
    actor: Actor,
) -> SubmissionAttachment:
    """An upload for an id that has a row already: the same content again keeps the first
    file, other content replaces it while the submission is still open."""
    storage = queries.attachment_storage()
    existing = _existing_sender_attachment(submission, attachment_id)
    if existing is None:  # gone in between; nothing to compare with
        storage.delete(stored)
        raise Conflict(_("Bitte laden Sie den Anhang erneut hoch."), code="attachment_changed")
    if existing.ciphertext_sha256 == digest:
        storage.delete(stored)  # no row names this second copy
        return existing
    previous = existing.storage_name
    existing.size = size
    existing.ciphertext_sha256 = digest
    existing.storage_name = stored
    existing.save(update_fields=["size", "ciphertext_sha256", "storage_name"])
    _audit_attachment_upload(submission, attachment_id, digest, actor=actor)
    transaction.on_commit(lambda: delete_files([previous]))
    return existing


def _audit_attachment_upload(
    submission: queries.AnnouncedRef, attachment_id: str, digest: str, *, actor: Actor
) -> None:
    record_audit(
        action="application.attachment_uploaded",
        actor=actor,
        object_type=Submission._meta.label_lower,
        object_id=str(submission.pk),
        attachment=attachment_id,
        ciphertext_sha256=digest,
    )


# The columns `submit_announced` sets (besides the Vorgangsnummer).
_SUBMITTED_FIELDS = [
    "encrypted_data",
    "encrypted_metadata",
    "ciphertext_sha256",
    "data_sha256",
    "status_secret_hash",
    "fee_total",
    "fee_lines",
    "submitted_at",
    "consent_at",
    "status",
    "released_at",
]


@transaction.atomic
def submit_announced(
    *,
    submission_id: Any,
    encrypted_data: str,
    encrypted_metadata: str,
    data_sha256: str,
    actor: Actor,
    respond: Callable[[Receipt], dict[str, Any]] | None = None,
) -> Receipt:
    """Complete an announced submission: all attachments present, data and metadata JWE for
    the destination's key. `respond(receipt)` builds the API's answer, which is kept
    (encrypted) in the same transaction: sending the same again returns exactly that answer,
    access code included, even when the first answer never reached the sender."""
    submission, uploaded = queries.lock_announced_for_completion(submission_id)
    encrypted_data, encrypted_metadata = encrypted_data.strip(), encrypted_metadata.strip()
    _check_sender_tokens(submission.key.kid, data=encrypted_data, metadata=encrypted_metadata)
    ciphertext_hash = sealing.sha256_hex(encrypted_data.encode())
    if submission.status != Submission.Status.ANNOUNCED:
        return _repeated_completion(submission, ciphertext_hash)
    if uploaded != len(submission.announced_attachments):
        queries.require_attachments_uploaded(submission)  # names the missing ones
    fee = rules.calculate_fee(queries.form_of(submission.form_version), {})
    now = timezone.now()
    secret = new_access_code()
    submission.encrypted_data = encrypted_data
    submission.encrypted_metadata = encrypted_metadata
    submission.ciphertext_sha256 = ciphertext_hash
    submission.data_sha256 = data_sha256.lower()
    submission.status_secret_hash = queries.token_hash(secret)
    submission.fee_total = fee.total
    submission.fee_lines = [{"label": line.label, "amount": str(line.amount)} for line in fee.lines]
    submission.submitted_at = now
    submission.consent_at = now
    submission.status = (
        Submission.Status.AWAITING_PAYMENT if fee.due else Submission.Status.RECEIVED
    )
    submission.released_at = None if fee.due else now
    answer: dict[str, Any] = {}

    def keep_first_response() -> None:
        # Built from the drawn number, so that it goes out in the same UPDATE.
        if respond is not None:
            answer["response"] = respond(Receipt(submission=submission, secret=secret))
            submission.first_response = encrypt(json.dumps(answer["response"], ensure_ascii=False))

    fields = [*_SUBMITTED_FIELDS, "first_response"] if respond else _SUBMITTED_FIELDS
    save_with_number(submission, update_fields=fields, prepare=keep_first_response)
    with batched():  # the receipt's entry and the back office's, appended together
        record_audit(
            action="application.submitted",
            actor=actor,
            obj=submission,
            service=submission.service.slug,
            authority=submission.authority_id,
            channel="api",
            ciphertext_sha256=ciphertext_hash,
        )
        extensions.notify_released(submission)
    return Receipt(submission=submission, secret=secret, response=answer.get("response"))


def _check_sender_tokens(kid: str, *, data: str, metadata: str) -> None:
    for label, token in (("encryptedData", data), ("encryptedMetadata", metadata)):
        try:
            sealing.check_sealed(token, kid=kid)
        except sealing.SealError as exc:
            raise InvalidInput(f"{label}: {exc}", code="invalid_jwe", field=label) from None


def _repeated_completion(submission: Submission, ciphertext_hash: str) -> Receipt:
    """The same completion again gets the first answer; other data is a conflict."""
    if submission.ciphertext_sha256 != ciphertext_hash:
        raise Conflict(
            _("Diese Einreichung wurde bereits mit anderen Daten abgeschlossen."),
            code="submission_closed",
        )
    first = json.loads(decrypt(submission.first_response)) if submission.first_response else None
    return Receipt(submission=submission, secret="", response=first)


# --- rate limit of the public submission API -------------------------------------------------

RATE_WINDOW = datetime.timedelta(minutes=1)


# Requests a process reserves at once for a client and minute: the database counts
# reservations, so the shared count is exact about what was handed out, and a process asks it
# once per RATE_LEASE requests instead of for every request (decision 0034).
RATE_LEASE = 20

_leases: dict[str, tuple[datetime.datetime, int]] = {}
_leases_lock = threading.Lock()


def count_api_request(*, client: str, now: datetime.datetime | None = None) -> None:
    """Count one request of `client` to the public submission API in the current minute;
    refuse it (429, with the seconds until the next window) beyond the allowance.

    Each process reserves up to `RATE_LEASE` requests of a client's minute in one upsert
    that returns the new count, and serves them from memory; the database's count is the
    sum of all reservations, so all processes together never admit more than the allowance
    (a reservation one process does not use up is lost to the client for that minute). A
    new window also clears the windows of an hour ago."""
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    client = client[:64]
    with _leases_lock:
        held = _leases.get(client)
        if held is not None and held[0] == window and held[1] > 0:
            _leases[client] = (window, held[1] - 1)
            return
    limit = settings.VERBUND_SUBMISSION_API_RATE
    lease = max(1, min(RATE_LEASE, limit))
    count = _increment_rate_window(client, window, lease)
    if count == lease:
        ApiRateWindow.objects.filter(window__lt=window - 60 * RATE_WINDOW).delete()
    granted = min(lease, limit - (count - lease))
    if granted <= 0:
        raise TooManyRequests(
            _("Zu viele Anfragen von Ihrer Adresse. Bitte warten Sie einen Moment."),
            retry_after=max(1, int((window + RATE_WINDOW - now).total_seconds()) + 1),
        )
    with _leases_lock:
        if len(_leases) > 10_000:
            _leases.clear()
        _leases[client] = (window, granted - 1)


def forget_rate_leases() -> None:
    """Drop this process's reservations (tests roll back the counts they were taken from)."""
    with _leases_lock:
        _leases.clear()


memo.on_clear(forget_rate_leases)


def _increment_rate_window(client: str, window: datetime.datetime, by: int) -> int:
    connection = connections[router.db_for_write(ApiRateWindow)]
    quote = connection.ops.quote_name
    table = quote(ApiRateWindow._meta.db_table)
    stored_window = ApiRateWindow._meta.get_field("window").get_db_prep_value(window, connection)
    with connection.cursor() as cursor:
        # INSERT … ON CONFLICT … RETURNING: PostgreSQL and SQLite >= 3.35 alike.
        cursor.execute(
            f"INSERT INTO {table} ({quote('client')}, {quote('window')}, {quote('count')}) "  # noqa: S608 (names from the model)
            f"VALUES (%s, %s, %s) ON CONFLICT ({quote('client')}, {quote('window')}) "
            f"DO UPDATE SET {quote('count')} = {table}.{quote('count')} + %s "
            f"RETURNING {quote('count')}",
            [client, stored_window, by, by],
        )
        row = cursor.fetchone()
    return int(row[0])
