"""The back office's changes to a submission: its status, and handing it to another
authority sealed anew."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction

from verbund.applications import queries, sealing
from verbund.applications.actions.files import delete_files
from verbund.applications.models import (
    Submission,
)
from verbund.authorities import actions as authority_actions
from verbund.core.audit import Actor, record_audit

if TYPE_CHECKING:
    from verbund.authorities.models import Authority


@transaction.atomic
def set_submission_status(
    *, submission: Submission, status: str, actor: Actor, note: str = ""
) -> Submission:
    """Record the case's state, which the applicant's status page shows. Only the back
    office calls this; which transitions are allowed is decided in `casework.rules`."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    before = submission.status
    submission.status = status
    submission.status_note = note
    submission.save(update_fields=["status", "status_note", "updated_at"])
    record_audit(
        action="application.status_changed",
        actor=actor,
        obj=submission,
        before={"status": before},
        after={"status": status},
    )
    return submission


@transaction.atomic
def reseal_submission(
    *,
    submission: Submission,
    authority: Authority,
    basis: str,
    basis_explanation: str,
    plain_data: bytes,
    plain_metadata: bytes,
    attachments: dict[str, bytes],
    actor: Actor,
) -> Submission:
    """Hand a submission to another authority: data, metadata and every attachment sealed
    anew to that authority's key (the caller decrypted them with the old one), the old
    ciphertexts deleted after commit."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    key = authority_actions.ensure_encryption_key(authority=authority, actor=actor)
    storage = queries.attachment_storage()
    old_names = []
    for attachment in submission.attachments.all():
        token = sealing.seal(
            attachments[str(attachment.id)],
            key.public_jwk,
            cty=attachment.media_type or "application/octet-stream",
        ).encode()
        old_names.append(attachment.storage_name)
        attachment.storage_name = storage.save(
            f"submissions/{submission.pk}/{attachment.id}.jwe", ContentFile(token)
        )
        attachment.ciphertext_sha256 = sealing.sha256_hex(token)
        attachment.size = len(token)
        attachment.save(update_fields=["storage_name", "ciphertext_sha256", "size"])
    before = {"authority": submission.authority_id, "kid": submission.key.kid}
    submission.authority = authority
    submission.basis = basis
    submission.basis_explanation = basis_explanation
    submission.key = key
    submission.encrypted_data = sealing.seal(plain_data, key.public_jwk, cty="application/json")
    submission.encrypted_metadata = sealing.seal(
        plain_metadata, key.public_jwk, cty="application/json"
    )
    submission.ciphertext_sha256 = sealing.sha256_hex(submission.encrypted_data.encode())
    submission.save()
    record_audit(
        action="application.resealed",
        actor=actor,
        obj=submission,
        before=before,
        after={"authority": authority.pk, "kid": key.kid},
    )
    transaction.on_commit(lambda: delete_files(old_names))
    return submission
