"""Drafts: started after the finder's answer, saved on every step, resumed by account or
e-mailed link, deleted after the retention period."""

from __future__ import annotations

import datetime
import uuid
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.applications import attachments as attachment_checks
from verbund.applications import queries, sealing
from verbund.applications.actions.files import delete_files
from verbund.applications.actions.receipt import (
    new_secret,
)
from verbund.applications.models import (
    Draft,
    DraftAttachment,
    FormVersion,
)
from verbund.authorities import actions as authority_actions
from verbund.core.audit import Actor, record_audit
from verbund.core.errors import Conflict, InvalidInput
from verbund.integrations.mail import enqueue_mail

if TYPE_CHECKING:
    from verbund.authorities.models import Authority
    from verbund.catalogue.models import Service


def _expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=settings.VERBUND_DRAFT_RETENTION_DAYS)


@transaction.atomic
def start_draft(
    *,
    service: Service,
    version: FormVersion,
    responsible: queries.Responsibility,
    place_ags: str = "",
    place_plz: str = "",
    place_name: str = "",
    owner: Any = None,
    applicant_authority: Authority | None = None,
    prefill: dict[str, Any] | None = None,
    prefilled: dict[str, Any] | None = None,
    actor: Actor,
) -> tuple[Draft, str]:
    """Open a draft for a service once the responsible authority is known; returns the
    draft and its secret resume token (stored only as a hash)."""
    if responsible.authority is None:
        raise InvalidInput(responsible.explanation, code="no_responsible_authority")
    if version.status != FormVersion.Status.PUBLISHED:
        raise Conflict(_("Dieses Formular ist nicht veröffentlicht."), code="form_not_published")
    token = new_secret()
    draft = Draft.objects.create(
        form_version=version,
        service=service,
        owner=owner if owner is not None and owner.is_authenticated else None,
        applicant_authority=applicant_authority,
        authority=responsible.authority,
        basis=responsible.basis,
        basis_explanation=responsible.explanation,
        place_ags=place_ags or responsible.gemeinde_ags,
        place_plz=place_plz,
        place_name=place_name or responsible.gemeinde_name,
        resume_token_hash=queries.token_hash(token),
        data=prefill or {},
        prefilled=prefilled or {},
        expires_at=_expiry(),
    )
    record_audit(
        action="application.draft_started",
        actor=actor,
        obj=draft,
        service=service.slug,
        authority=responsible.authority.pk,
        basis=responsible.basis,
        prefilled_from_account=sorted(prefilled or {}),
    )
    return draft, token


@transaction.atomic
def save_draft(*, draft: Draft, data: dict[str, Any], step: int, actor: Actor) -> Draft:
    """Keep what was entered so far (valid or not yet complete) and push the expiry back."""
    draft.data = data
    draft.step = max(draft.step, step)
    draft.expires_at = _expiry()
    draft.save(update_fields=["data", "step", "expires_at", "updated_at"])
    record_audit(action="application.draft_saved", actor=actor, obj=draft, step=step)
    return draft


def attach_file(
    *, draft: Draft, path: str, filename: str, content: bytes, accept: tuple[str, ...], actor: Actor
) -> DraftAttachment:
    """Check an upload (size, count, type by content, virus scan, the quota of a draft
    without an account), encrypt it to the authority's key at once, and keep it with the
    draft. A file uploaded again for the same field replaces (and frees) the one before.
    The plain file is never stored."""
    others = draft.attachments.exclude(path=path)
    checked = attachment_checks.check_upload(
        filename=filename,
        content=content,
        existing_count=others.count(),
        accept=accept,
    )
    if draft.owner_id is None:
        used = others.aggregate(total=Sum("size"))["total"] or 0
        quota = settings.VERBUND_ANONYMOUS_DRAFT_MAX_BYTES
        if used + len(content) > quota:
            raise InvalidInput(
                _(
                    "Ohne Anmeldung können zu einem Antrag Dateien mit zusammen höchstens "
                    "%(mb)s MB hochgeladen werden. Bitte verkleinern Sie die Dateien oder "
                    "melden Sie sich an."
                )
                % {"mb": f"{quota / 1024 / 1024:g}".replace(".", ",")},
                code="draft_quota",
            )
    replaced = list(draft.attachments.filter(path=path).values_list("pk", "storage_name"))
    key = authority_actions.ensure_encryption_key(authority=draft.authority, actor=actor)
    attachment_id = uuid.uuid4()
    token = sealing.seal(content, key.public_jwk, cty=checked.media_type)
    storage = queries.attachment_storage()
    name = storage.save(f"drafts/{draft.pk}/{attachment_id}.jwe", ContentFile(token.encode()))
    try:
        with transaction.atomic():
            attachment = DraftAttachment.objects.create(
                id=attachment_id,
                draft=draft,
                path=path,
                filename=filename[:255],
                media_type=checked.media_type,
                size=len(content),
                sha256=sealing.sha256_hex(content),
                storage_name=name,
                kid=key.kid,
                scan_status=checked.scan_status,
            )
            record_audit(
                action="application.attachment_added",
                actor=actor,
                obj=draft,
                attachment=str(attachment_id),
                sha256=attachment.sha256,
                scan=checked.scan_status,
                replaced=[str(pk) for pk, _name in replaced],
            )
            if replaced:
                DraftAttachment.objects.filter(pk__in=[pk for pk, _name in replaced]).delete()
                transaction.on_commit(partial(delete_files, [n for _pk, n in replaced]))
    except Exception:
        storage.delete(name)
        raise
    return attachment


@transaction.atomic
def remove_attachment(*, draft: Draft, attachment_id: str, actor: Actor) -> None:
    attachment = draft.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        return
    name = attachment.storage_name
    attachment.delete()
    record_audit(
        action="application.attachment_removed", actor=actor, obj=draft, attachment=attachment_id
    )
    transaction.on_commit(lambda: queries.attachment_storage().delete(name))


@transaction.atomic
def send_resume_link(*, draft: Draft, email: str, link_for: Any, actor: Actor) -> str:
    """E-mail a link to resume the draft; a new token replaces the old one (returned, so the
    current browser keeps access). `link_for(token)` builds the absolute URL."""
    token = new_secret()
    draft.resume_token_hash = queries.token_hash(token)
    draft.expires_at = _expiry()
    draft.save(update_fields=["resume_token_hash", "expires_at", "updated_at"])
    record_audit(action="application.resume_link_sent", actor=actor, obj=draft)
    url = link_for(token)
    until = timezone.localtime(draft.expires_at).strftime("%d.%m.%Y")
    enqueue_mail(
        to=email,
        subject=_("Ihr Antrag: %(service)s") % {"service": draft.service.name},
        body=_(
            "Guten Tag,\n\nmit diesem Link setzen Sie Ihren Antrag „%(service)s“ fort:\n\n"
            "%(url)s\n\nDer Entwurf wird am %(until)s gelöscht, wenn Sie ihn nicht "
            "weiter bearbeiten. Geben Sie den Link nicht weiter.\n\nIhr Verbund-Portal"
        )
        % {"service": draft.service.name, "url": url, "until": until},
    )
    return token


def delete_expired_drafts(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Delete drafts past their expiry with their encrypted attachments."""
    moment = now or timezone.now()
    count = 0
    for draft in Draft.objects.filter(expires_at__lte=moment).iterator():
        with transaction.atomic():
            names = list(draft.attachments.values_list("storage_name", flat=True))
            record_audit(
                action="application.draft_expired",
                actor=actor,
                object_type="applications.draft",
                object_id=str(draft.pk),
            )
            draft.delete()
            transaction.on_commit(partial(delete_files, names))
        count += 1
    return count
