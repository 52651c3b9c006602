"""Submissions as the receiving authority's staff read them: decrypted, checked, summarised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from verbund.applications import metadata as metadata_shape
from verbund.applications import sealing
from verbund.applications.models import (
    Submission,
    SubmissionAttachment,
)
from verbund.applications.queries.common import User, attachment_storage
from verbund.applications.queries.forms import form_of
from verbund.authorities import queries as authority_queries
from verbund.catalogue import queries as catalogue_queries
from verbund.core import attachments as attachment_checks
from verbund.core.audit import record_audit
from verbund.core.errors import DomainError, InvalidInput, NotFound


def submissions_for_staff(user: User, authority_slug: str) -> QuerySet[Submission]:
    """Released submissions of an authority the user works for (others: NotFound)."""
    authority = authority_queries.get_authority_for_staff_or_404(user, authority_slug)
    return (
        Submission.objects.filter(authority=authority, released_at__isnull=False)
        .select_related("service", "form_version__definition")
        .order_by("-released_at")
    )


def get_submission_for_staff_or_404(user: User, vorgangsnummer: str) -> Submission:
    """A released submission of one of the user's authorities; NotFound for everyone else."""
    submission = (
        Submission.objects.select_related("service", "authority", "key", "form_version")
        .filter(
            vorgangsnummer=vorgangsnummer,
            released_at__isnull=False,
            authority__in=authority_queries.authorities_of_staff(user),
        )
        .first()
    )
    if submission is None:
        raise NotFound(_("Nicht gefunden."), code="not_found")
    return submission


@dataclass(frozen=True)
class DecryptedAttachment:
    id: str
    filename: str
    media_type: str
    content: bytes
    sha256: str


@dataclass(frozen=True)
class DecryptedSubmission:
    submission: Submission
    document: dict[str, Any]
    metadata: dict[str, Any]
    attachments: list[DecryptedAttachment]
    problems: tuple[str, ...] = ()  # where what the sender sealed is not as documented

    @property
    def data(self) -> dict[str, Any]:
        value: dict[str, Any] = self.document.get("data", self.document)
        return value


class IntegrityFailure(DomainError):
    status = 409
    code = "integrity_failure"


def decrypt_submission_for_staff(
    user: User, vorgangsnummer: str, *, passphrase: str = ""
) -> DecryptedSubmission:
    """Decrypt a submission in the back office of the receiving authority.

    Checks membership (NotFound otherwise), the key's protection (passphrase), the JWE
    authentication tags (a changed byte fails) and every SHA-256 recorded at submit time.
    Each decryption is written to the audit log."""
    submission = get_submission_for_staff_or_404(user, vorgangsnummer)
    private = authority_queries.private_key_for_staff(user, submission.key, passphrase=passphrase)
    try:
        plain = sealing.open_sealed(submission.encrypted_data, private)
        raw_metadata = (
            sealing.open_sealed(submission.encrypted_metadata, private)
            if submission.encrypted_metadata
            else b"{}"
        )
    except sealing.SealError as exc:
        raise IntegrityFailure(str(exc)) from None
    if submission.data_sha256 and sealing.sha256_hex(plain) != submission.data_sha256:
        raise IntegrityFailure(_("Die Angaben stimmen nicht mit der Prüfsumme überein."))
    # What the sender sealed is checked against its documented shape only now: a malformed
    # part is shown to the clerk as a problem, never breaks the case page.
    document, problems = metadata_shape.load_object(plain, what=_("Die Angaben"))
    metadata, metadata_problems = metadata_shape.load_object(raw_metadata, what=_("Die Metadaten"))
    metadata, attachment_problems = metadata_shape.check_metadata(metadata)
    problems += metadata_problems + attachment_problems
    names = {entry.get("id", ""): entry for entry in metadata["attachments"]}
    storage = attachment_storage()
    attachments = []
    for attachment in submission.attachments.order_by("id"):
        with storage.open(attachment.storage_name, "rb") as fh:
            token = fh.read()
        if sealing.sha256_hex(token) != attachment.ciphertext_sha256:
            raise IntegrityFailure(_("Ein Anhang wurde nach dem Eingang verändert."))
        try:
            content = sealing.open_sealed(token, private)
        except sealing.SealError as exc:
            raise IntegrityFailure(str(exc)) from None
        digest = sealing.sha256_hex(content)
        entry = names.get(str(attachment.id), {})
        expected = attachment.sha256 or entry.get("sha256", "")
        if expected and digest != expected:
            raise IntegrityFailure(_("Ein Anhang stimmt nicht mit seiner Prüfsumme überein."))
        attachments.append(
            DecryptedAttachment(
                id=str(attachment.id),
                filename=attachment_checks.safe_filename(
                    entry.get("filename", ""), fallback=str(attachment.id)
                ),
                # The type the content shows, never the one the sender claims.
                media_type=attachment_checks.detect_media_type(content)
                or "application/octet-stream",
                content=content,
                sha256=digest,
            )
        )
    with transaction.atomic():
        record_audit(
            action="application.decrypted",
            actor=user,
            obj=submission,
            authority=submission.authority_id,
        )
    return DecryptedSubmission(
        submission=submission,
        document=document,
        metadata=metadata,
        attachments=attachments,
        problems=tuple(problems),
    )


def require_attachments_uploaded(submission: Submission) -> None:
    uploaded = SubmissionAttachment.objects.filter(submission=submission).values_list(
        "id", flat=True
    )
    missing = set(submission.announced_attachments) - {str(a) for a in uploaded}
    if missing:
        raise InvalidInput(
            _("Es fehlen angekündigte Anhänge: %(ids)s") % {"ids": ", ".join(sorted(missing))},
            code="attachments_missing",
            missing=sorted(missing),
        )


def processing_time(submission: Submission) -> str:
    """How long the service usually takes, from the catalogue (the authority's own text
    where it wrote one); empty when the catalogue does not say."""

    texts = catalogue_queries.texts_for(submission.service, submission.authority)
    return str(getattr(texts, "processing_time", "") or "").strip()


def _top_level_ids(items: Any) -> set[str]:
    from verbund.applications.formschema import Field

    ids: set[str] = set()
    for item in items:
        if isinstance(item, Field) or item.repeats:
            ids.add(item.id)
        else:
            ids |= _top_level_ids(item.items)
    return ids


def _raw_rows(data: Any, prefix: str = "") -> list[tuple[str, str, bool]]:
    rows: list[tuple[str, str, bool]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            rows.extend(_raw_rows(value, f"{prefix} › {key}" if prefix else str(key)))
    elif isinstance(data, list):
        for i, value in enumerate(data, start=1):
            rows.extend(_raw_rows(value, f"{prefix} {i}"))
    else:
        rows.append((prefix, "–" if data in (None, "") else str(data), False))
    return rows


def summary_for_staff(opened: DecryptedSubmission) -> list[dict[str, Any]]:
    """The decrypted data as the form presents it: one section per step, the form's labels,
    code-list texts and German dates. What the form does not describe (an API sender's own
    keys, or data that does not fit the form's version) follows under its keys."""
    from verbund.applications import rendering

    data = opened.data
    try:
        form = form_of(opened.submission.form_version)
        sections = [s for s in rendering.summarise(form, data) if s["rows"]]
        known = set().union(*(_top_level_ids(step.items) for step in form.steps))
    except Exception:
        sections, known = [], set()
    rest = {k: v for k, v in data.items() if k not in known} if isinstance(data, dict) else {}
    if rest:
        sections.append(
            {"index": len(sections), "title": _("Weitere Angaben"), "rows": _raw_rows(rest)}
        )
    return sections
