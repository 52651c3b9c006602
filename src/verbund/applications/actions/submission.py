"""Submitting a draft from the web form: frozen, encrypted to the responsible authority
and released (or waiting for its fee), in one transaction."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.applications import extensions, queries, rules, sealing
from verbund.applications.access_codes import new_access_code
from verbund.applications.actions.files import delete_files, read_stored
from verbund.applications.actions.receipt import (
    Receipt,
    save_with_number,
)
from verbund.applications.formschema import Form
from verbund.applications.models import (
    Draft,
    DraftAttachment,
    FormVersion,
    Submission,
    SubmissionAttachment,
)
from verbund.authorities import actions as authority_actions
from verbund.core.audit import Actor, record_audit
from verbund.core.encryption import encrypt
from verbund.core.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from verbund.authorities.models import EncryptionKey
    from verbund.catalogue.models import Service


def _document(
    form: Form, version: FormVersion, service: Service, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "schema": f"urn:verbund:form:{version.definition.key}:{version.number}",
        "service": {"slug": service.slug, "leikaKey": service.leika_key, "name": service.name},
        "form": {"key": version.definition.key, "version": version.number, "title": form.title},
        "data": data,
    }


@transaction.atomic
def submit_draft(
    *, draft: Draft, consent: bool, actor: Actor, today: datetime.date | None = None
) -> Receipt:
    """Freeze a draft into a submission encrypted to the responsible authority, in one
    transaction with its attachments and audit entry; then the draft is gone.

    With a fee the submission waits for the payment; without one it is released at once."""
    draft = _lock_draft(draft)
    if not consent:
        raise InvalidInput(
            _("Bitte bestätigen Sie, dass Ihre Angaben an die Behörde übermittelt werden dürfen."),
            code="consent_missing",
            errors={"consent": _("Bitte bestätigen Sie die Übermittlung.")},
        )
    frozen = _freeze(draft, today=today)
    key = authority_actions.ensure_encryption_key(authority=draft.authority, actor=actor)
    if any(a.kid != key.kid for a in frozen.used):
        raise Conflict(
            _(
                "Der Schlüssel der Behörde hat sich geändert; "
                "bitte laden Sie die Dateien erneut hoch."
            ),
            code="key_changed",
        )
    secret = new_access_code()
    submission = _sealed_submission(draft, frozen, key=key, secret=secret)
    save_with_number(submission)
    _keep_attachments(submission, frozen.used)
    unused = [a.storage_name for a in frozen.attachments.values() if a not in frozen.used]
    record_audit(
        action="application.submitted",
        actor=actor,
        obj=submission,
        service=draft.service.slug,
        authority=draft.authority.pk,
        basis=draft.basis,
        form_version=frozen.version.pk,
        data_sha256=frozen.data_hash,
        attachments=[{"id": str(a.pk), "sha256": a.sha256} for a in frozen.used],
        fee=str(frozen.fee.total),
    )
    draft.attachments.all().delete()
    draft.delete()
    transaction.on_commit(lambda: delete_files(unused))
    extensions.notify_released(submission, frozen.document)
    return Receipt(submission=submission, secret=secret)


def _lock_draft(draft: Draft) -> Draft:
    locked = Draft.objects.select_for_update().filter(pk=draft.pk).first()
    if locked is None:
        # A parallel submit of the same draft (double click) won; its receipt is the answer.
        raise NotFound(_("Dieser Antrag wurde bereits abgesendet."), code="draft_submitted")
    return locked


@dataclass(frozen=True)
class _Frozen:
    """A complete draft's content as it is submitted: the cleaned form document, its hash,
    the fee, and its attachments (all of the draft's, and those the data refers to)."""

    version: FormVersion
    document: dict[str, Any]
    plain: bytes
    data_hash: str
    fee: rules.Fee
    attachments: dict[str, DraftAttachment]
    used: list[DraftAttachment]


def _freeze(draft: Draft, *, today: datetime.date | None) -> _Frozen:
    """Validate and clean the draft's data; every attachment it refers to must be there."""
    version = draft.form_version
    form = queries.form_of(version)
    errors = rules.validate(form, draft.data, today=today)
    if errors:
        raise InvalidInput(
            _("Der Antrag ist noch nicht vollständig."), code="form_invalid", errors=errors
        )
    data = rules.clean(form, draft.data)
    refs = dict(rules.attachment_refs(form, data))
    attachments = {str(a.pk): a for a in draft.attachments.all()}
    for path, ref in refs.items():
        if str(ref["attachment"]) not in attachments:
            raise InvalidInput(
                _("Eine Datei fehlt; bitte laden Sie sie erneut hoch."),
                code="attachment_missing",
                errors={path: _("Bitte laden Sie die Datei erneut hoch.")},
            )
    document = _document(form, version, draft.service, data)
    plain = sealing.canonical_json(document)
    return _Frozen(
        version=version,
        document=document,
        plain=plain,
        data_hash=sealing.sha256_hex(plain),
        fee=rules.calculate_fee(form, data),
        attachments=attachments,
        used=[attachments[str(ref["attachment"])] for ref in refs.values()],
    )


def _metadata(draft: Draft, frozen: _Frozen, *, now: datetime.datetime) -> dict[str, Any]:
    """The submission's metadata in the FIT-Connect shape (sealed with the data)."""
    used = frozen.used
    return {
        "contentStructure": {
            "data": {
                "hash": {"type": "sha256", "content": frozen.data_hash},
                "schema": frozen.document["schema"],
            },
            "attachments": [
                {
                    "id": str(a.pk),
                    "filename": a.filename,
                    "mediaType": a.media_type,
                    "sha256": a.sha256,
                    "purpose": "attachment",
                }
                for a in used
            ],
        },
        "attachments": [
            {"id": str(a.pk), "filename": a.filename, "mediaType": a.media_type, "sha256": a.sha256}
            for a in used
        ],
        "destination": draft.authority.slug,
        "responsibility": {"basis": draft.basis, "explanation": draft.basis_explanation},
        "place": {"ags": draft.place_ags, "plz": draft.place_plz, "name": draft.place_name},
        "applicantAuthority": draft.applicant_authority.slug if draft.applicant_authority else None,
        "submittedAt": now.isoformat(),
    }


def _sealed_submission(
    draft: Draft, frozen: _Frozen, *, key: EncryptionKey, secret: str
) -> Submission:
    """The unsaved submission: data and metadata sealed to the authority's key."""
    now = timezone.now()
    fee = frozen.fee
    metadata = sealing.canonical_json(_metadata(draft, frozen, now=now))
    encrypted_data = sealing.seal(frozen.plain, key.public_jwk, cty="application/json")
    return Submission(
        status=Submission.Status.AWAITING_PAYMENT if fee.due else Submission.Status.RECEIVED,
        channel=Submission.Channel.WEB,
        service=draft.service,
        form_version=frozen.version,
        applicant=draft.owner,
        applicant_authority=draft.applicant_authority,
        authority=draft.authority,
        basis=draft.basis,
        basis_explanation=draft.basis_explanation,
        place_ags=draft.place_ags,
        place_plz=draft.place_plz,
        place_name=draft.place_name,
        key=key,
        encrypted_data=encrypted_data,
        encrypted_metadata=sealing.seal(metadata, key.public_jwk, cty="application/json"),
        ciphertext_sha256=sealing.sha256_hex(encrypted_data.encode()),
        data_sha256=frozen.data_hash,
        fee_total=fee.total,
        fee_lines=[{"label": line.label, "amount": str(line.amount)} for line in fee.lines],
        status_secret_hash=queries.token_hash(secret),
        consent_at=now,
        submitted_at=now,
        released_at=None if fee.due else now,
        source_draft_id=draft.pk,
        source_token_hash=draft.resume_token_hash,
        first_response=encrypt(json.dumps({"accessCode": secret})),
    )


def _keep_attachments(submission: Submission, used: list[DraftAttachment]) -> None:
    """The draft's files (already JWE for the authority) become the submission's."""
    storage = queries.attachment_storage()
    SubmissionAttachment.objects.bulk_create(
        [
            SubmissionAttachment(
                id=a.pk,
                submission=submission,
                media_type=a.media_type,
                size=storage.size(a.storage_name),
                sha256=a.sha256,
                ciphertext_sha256=sealing.sha256_hex(read_stored(a.storage_name)),
                storage_name=a.storage_name,
                scan_status=a.scan_status,
            )
            for a in used
        ]
    )
