"""Every state change of the applications domain: one atomic function each, audited.

Personal data never enters the audit log: entries name ids, the service, the authority and
hashes, not what the applicant wrote.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.applications import attachments as attachment_checks
from verbund.applications import extensions, queries, rules, sealing
from verbund.applications.formschema import Form, parse_form, unresolved_codelists
from verbund.applications.models import (
    Draft,
    DraftAttachment,
    FormDefinition,
    FormVersion,
    Payment,
    ScanStatus,
    Submission,
    SubmissionAttachment,
)
from verbund.authorities import actions as authority_actions
from verbund.authorities import queries as authority_queries
from verbund.authorities.models import Authority, EncryptionKey
from verbund.catalogue.models import Service
from verbund.core.audit import Actor, record_audit
from verbund.core.errors import Conflict, InvalidInput
from verbund.integrations import payment as payment_api
from verbund.integrations.payment.testprovider import TestPaymentProvider

# Crockford's base32 without I, L, O, U: easy to read aloud and to type from a letter.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_vorgangsnummer(now: datetime.datetime | None = None) -> str:
    year = (now or timezone.now()).year
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"VB-{year}-{code[:4]}-{code[4:]}"


def new_secret() -> str:
    return secrets.token_urlsafe(18)


def schema_hash(schema: dict[str, Any]) -> str:
    return hashlib.sha256(sealing.canonical_json(schema)).hexdigest()


# --- form definitions -----------------------------------------------------------------------


@transaction.atomic
def save_form_version(
    *,
    key: str,
    name: str,
    schema: dict[str, Any],
    source: str,
    actor: Actor,
    service: Service | None = None,
    fim_id: str = "",
    fim_version: str = "",
    publish: bool = False,
) -> tuple[FormVersion, bool]:
    """Store a form definition as a new version (checked completely first); unchanged
    content returns the existing version. Published versions are never modified."""
    form = parse_form(schema)
    content_hash = schema_hash(schema)
    definition, _created = FormDefinition.objects.select_for_update().get_or_create(
        key=key, defaults={"name": name, "service": service, "fim_id": fim_id}
    )
    changed = []
    if definition.name != name:
        definition.name = name
        changed.append("name")
    if service is not None and definition.service_id != service.pk:
        definition.service = service
        changed.append("service")
    if changed:
        definition.save(update_fields=[*changed, "updated_at"])
    latest = definition.versions.order_by("-number").first()
    if latest is not None and latest.content_hash == content_hash:
        if publish and latest.status != FormVersion.Status.PUBLISHED:
            return publish_form_version(version=latest, actor=actor), False
        return latest, False
    version = FormVersion.objects.create(
        definition=definition,
        number=(latest.number + 1) if latest else 1,
        status=FormVersion.Status.DRAFT,
        schema=schema,
        content_hash=content_hash,
        source=source,
        fim_version=fim_version or form.fim_version,
    )
    record_audit(
        action="form.version_saved",
        actor=actor,
        obj=version,
        after={"key": key, "number": version.number, "hash": content_hash, "source": source},
    )
    if publish:
        version = publish_form_version(version=version, actor=actor)
    return version, True


@transaction.atomic
def publish_form_version(*, version: FormVersion, actor: Actor) -> FormVersion:
    """Publish a draft version; the previously published one is retired (and stays readable
    for the submissions that used it)."""
    version = FormVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != FormVersion.Status.DRAFT:
        raise Conflict(
            _("Nur ein Entwurf kann veröffentlicht werden; diese Version ist %(s)s.")
            % {"s": version.get_status_display()},
            code="form_version_not_draft",
        )
    form = parse_form(version.schema)
    unresolved = unresolved_codelists(form)
    if unresolved:
        raise InvalidInput(
            _("Auswahlfelder ohne aufgelöste Codeliste: %(f)s") % {"f": ", ".join(unresolved)},
            code="codelist_unresolved",
        )
    FormVersion.objects.filter(
        definition_id=version.definition_id, status=FormVersion.Status.PUBLISHED
    ).update(status=FormVersion.Status.RETIRED, updated_at=timezone.now())
    version.status = FormVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at", "updated_at"])
    record_audit(action="form.version_published", actor=actor, obj=version)
    return version


# --- drafts ---------------------------------------------------------------------------------


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
    """Check an upload (size, count, type by content, virus scan), encrypt it to the
    authority's key at once, and keep it with the draft. The plain file is never stored."""
    checked = attachment_checks.check_upload(
        filename=filename,
        content=content,
        existing_count=draft.attachments.count(),
        accept=accept,
    )
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
            )
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
    transaction.on_commit(
        lambda: send_mail(
            subject=_("Ihr Antrag: %(service)s") % {"service": draft.service.name},
            message=_(
                "Guten Tag,\n\nmit diesem Link setzen Sie Ihren Antrag „%(service)s“ fort:\n\n"
                "%(url)s\n\nDer Entwurf wird am %(until)s gelöscht, wenn Sie ihn nicht "
                "weiter bearbeiten. Geben Sie den Link nicht weiter.\n\nIhr Verbund-Portal"
            )
            % {"service": draft.service.name, "url": url, "until": until},
            from_email=None,
            recipient_list=[email],
        )
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
            transaction.on_commit(partial(_delete_files, names))
        count += 1
    return count


def _delete_files(names: list[str]) -> None:
    storage = queries.attachment_storage()
    for name in names:
        storage.delete(name)


# --- submitting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    submission: Submission
    secret: str  # the applicant's access code for the status page; shown once
    payment_url: str = ""


def _document(
    form: Form, version: FormVersion, service: Service, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "schema": f"urn:verbund:form:{version.definition.key}:{version.number}",
        "service": {"slug": service.slug, "leikaKey": service.leika_key, "name": service.name},
        "form": {"key": version.definition.key, "version": version.number, "title": form.title},
        "data": data,
    }


def _save_with_number(submission: Submission, update_fields: list[str] | None = None) -> None:
    for _attempt in range(5):
        submission.vorgangsnummer = new_vorgangsnummer()
        try:
            with transaction.atomic():
                if update_fields is None:
                    submission.save()
                else:
                    submission.save(update_fields=[*update_fields, "vorgangsnummer", "updated_at"])
            return
        except IntegrityError:
            if Submission.objects.filter(vorgangsnummer=submission.vorgangsnummer).exists():
                continue
            raise
    raise Conflict(_("Bitte erneut absenden."), code="vorgangsnummer_collision")


@transaction.atomic
def submit_draft(
    *, draft: Draft, consent: bool, actor: Actor, today: datetime.date | None = None
) -> Receipt:
    """Freeze a draft into a submission encrypted to the responsible authority, in one
    transaction with its attachments and audit entry; then the draft is gone.

    With a fee the submission waits for the payment; without one it is released at once."""
    draft = Draft.objects.select_for_update().get(pk=draft.pk)
    if not consent:
        raise InvalidInput(
            _("Bitte bestätigen Sie, dass Ihre Angaben an die Behörde übermittelt werden dürfen."),
            code="consent_missing",
            errors={"consent": _("Bitte bestätigen Sie die Übermittlung.")},
        )
    version = draft.form_version
    form = queries.form_of(version)
    errors = rules.validate(form, draft.data, today=today)
    if errors:
        raise InvalidInput(
            _("Der Antrag ist noch nicht vollständig."), code="form_invalid", errors=errors
        )
    data = rules.clean(form, draft.data)
    refs = dict(rules.attachment_refs(form, data))
    draft_attachments = {str(a.pk): a for a in draft.attachments.all()}
    for path, ref in refs.items():
        if str(ref["attachment"]) not in draft_attachments:
            raise InvalidInput(
                _("Eine Datei fehlt; bitte laden Sie sie erneut hoch."),
                code="attachment_missing",
                errors={path: _("Bitte laden Sie die Datei erneut hoch.")},
            )
    key = authority_actions.ensure_encryption_key(authority=draft.authority, actor=actor)
    used = [draft_attachments[str(ref["attachment"])] for ref in refs.values()]
    if any(a.kid != key.kid for a in used):
        raise Conflict(
            _(
                "Der Schlüssel der Behörde hat sich geändert; "
                "bitte laden Sie die Dateien erneut hoch."
            ),
            code="key_changed",
        )
    document = _document(form, version, draft.service, data)
    plain = sealing.canonical_json(document)
    data_hash = sealing.sha256_hex(plain)
    fee = rules.calculate_fee(form, data)
    now = timezone.now()
    secret = new_secret()
    metadata = {
        "contentStructure": {
            "data": {
                "hash": {"type": "sha256", "content": data_hash},
                "schema": document["schema"],
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
    submission = Submission(
        status=Submission.Status.AWAITING_PAYMENT if fee.due else Submission.Status.RECEIVED,
        channel=Submission.Channel.WEB,
        service=draft.service,
        form_version=version,
        applicant=draft.owner,
        applicant_authority=draft.applicant_authority,
        authority=draft.authority,
        basis=draft.basis,
        basis_explanation=draft.basis_explanation,
        place_ags=draft.place_ags,
        place_plz=draft.place_plz,
        place_name=draft.place_name,
        key=key,
        encrypted_data=sealing.seal(plain, key.public_jwk, cty="application/json"),
        encrypted_metadata=sealing.seal(
            sealing.canonical_json(metadata), key.public_jwk, cty="application/json"
        ),
        data_sha256=data_hash,
        fee_total=fee.total,
        fee_lines=[{"label": line.label, "amount": str(line.amount)} for line in fee.lines],
        status_secret_hash=queries.token_hash(secret),
        consent_at=now,
        submitted_at=now,
        released_at=None if fee.due else now,
    )
    submission.ciphertext_sha256 = sealing.sha256_hex(submission.encrypted_data.encode())
    _save_with_number(submission)
    storage = queries.attachment_storage()
    SubmissionAttachment.objects.bulk_create(
        [
            SubmissionAttachment(
                id=a.pk,
                submission=submission,
                media_type=a.media_type,
                size=storage.size(a.storage_name),
                sha256=a.sha256,
                ciphertext_sha256=sealing.sha256_hex(_read(a.storage_name)),
                storage_name=a.storage_name,
                scan_status=a.scan_status,
            )
            for a in used
        ]
    )
    unused = [a.storage_name for a in draft_attachments.values() if a not in used]
    record_audit(
        action="application.submitted",
        actor=actor,
        obj=submission,
        service=draft.service.slug,
        authority=draft.authority.pk,
        basis=draft.basis,
        form_version=version.pk,
        data_sha256=data_hash,
        attachments=[{"id": str(a.pk), "sha256": a.sha256} for a in used],
        fee=str(fee.total),
    )
    draft.attachments.all().delete()
    draft.delete()
    transaction.on_commit(lambda: _delete_files(unused))
    extensions.notify_released(submission, document)
    return Receipt(submission=submission, secret=secret)


def _read(name: str) -> bytes:
    with queries.attachment_storage().open(name, "rb") as fh:
        data: bytes = fh.read()
    return data


# --- payment --------------------------------------------------------------------------------


def payment_provider() -> payment_api.PaymentProvider:
    """The configured provider; `test` is built in. Real providers register here."""
    providers: dict[str, payment_api.PaymentProvider] = {"test": TestPaymentProvider()}
    provider = providers.get(settings.VERBUND_PAYMENT_PROVIDER)
    if provider is None:
        raise InvalidInput(
            f"Unbekannter Bezahldienst {settings.VERBUND_PAYMENT_PROVIDER!r}.",
            code="payment_provider",
        )
    return provider


def payment_secret() -> bytes:
    secret = settings.VERBUND_PAYMENT_SECRET or f"payment:{settings.SECRET_KEY}"
    return hashlib.sha256(secret.encode()).digest()


@transaction.atomic
def request_payment(
    *, submission: Submission, redirect_url: str, actor: Actor
) -> tuple[Payment, str]:
    """Open a payment request for the submission's fee; returns it and the payer's URL."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.status != Submission.Status.AWAITING_PAYMENT:
        raise Conflict(_("Für diesen Antrag ist keine Zahlung offen."), code="no_payment_due")
    provider = payment_provider()
    request = payment_api.PaymentRequest(
        request_id=uuid.uuid4().hex,
        amount=Decimal(submission.fee_total),
        currency="EUR",
        purpose=f"{submission.vorgangsnummer}"[:140],
        description=submission.service.name[:140],
        redirect_url=redirect_url,
    )
    start = provider.start(request)
    payment = Payment.objects.create(
        request_id=request.request_id,
        submission=submission,
        provider=provider.name,
        amount=request.amount,
        currency=request.currency,
        purpose=request.purpose,
        status=Payment.Status.INITIAL,
        provider_reference=start.reference,
    )
    record_audit(
        action="application.payment_requested",
        actor=actor,
        obj=payment,
        submission=str(submission.pk),
        amount=str(payment.amount),
    )
    return payment, start.payment_url


@transaction.atomic
def apply_payment_callback(*, raw_body: bytes, signature: str, actor: Actor) -> Payment:
    """Believe a payment status only with a valid signature; a confirmed payment releases
    the submission to the authority. Repeated callbacks change nothing."""
    body = payment_api.verify(raw_body, signature, payment_secret())
    if body is None:
        raise InvalidInput(
            "Die Signatur der Zahlungsmeldung ist ungültig.", code="payment_signature"
        )
    payment = (
        Payment.objects.select_for_update()
        .select_related("submission")
        .filter(request_id=body["requestId"])
        .first()
    )
    if payment is None:
        raise InvalidInput("Unbekannte Zahlung.", code="unknown_payment")
    if payment.status == Payment.Status.PAYED or payment.status == body["status"]:
        return payment
    try:
        paid = Decimal(str(body.get("grossAmount", payment.amount)))
    except ArithmeticError:
        paid = None
    if paid != payment.amount:
        raise InvalidInput("Der gezahlte Betrag passt nicht.", code="payment_amount")
    before = payment.status
    payment.status = body["status"]
    payment.save(update_fields=["status", "updated_at"])
    record_audit(
        action="application.payment_status",
        actor=actor,
        obj=payment,
        before={"status": before},
        after={"status": payment.status},
    )
    submission = Submission.objects.select_for_update().get(pk=payment.submission_id)
    if payment.status == Payment.Status.PAYED and submission.released_at is None:
        submission.status = Submission.Status.RECEIVED
        submission.released_at = timezone.now()
        submission.save(update_fields=["status", "released_at", "updated_at"])
        record_audit(action="application.released", actor=actor, obj=submission, after_payment=True)
        extensions.notify_released(submission)
    return payment


def signed_test_callback(*, payment: Payment, status: str) -> tuple[bytes, str]:
    """What the built-in test provider sends to the callback (body, signature)."""
    body = {
        "requestId": payment.request_id,
        "status": status,
        "grossAmount": str(payment.amount),
        "currency": payment.currency,
        "reference": payment.provider_reference,
    }
    return payment_api.canonical(body), payment_api.sign(body, payment_secret())


# --- status (back office) -------------------------------------------------------------------


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
    transaction.on_commit(lambda: _delete_files(old_names))
    return submission


# --- the submission API (FIT-Connect shape) -------------------------------------------------


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
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
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
                key=key,
                announced_attachments=[str(a) for a in attachment_ids],
                status_secret_hash="",
                idempotency_key=idempotency_key or None,
                request_sha256=body_hash,
            )
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
        if existing is None:
            raise
        return existing, False
    return submission, True


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
    the same content again is harmless; after submitting, a changed file is refused."""
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
        raise InvalidInput(_("Der Anhang ist zu groß."), code="attachment_too_large")
    content = token.encode("ascii")
    digest = sealing.sha256_hex(content)
    existing = SubmissionAttachment.objects.filter(pk=attachment_id).first()
    if existing is not None and existing.submission_id != submission.pk:
        raise Conflict(_("Diese Anhang-ID ist bereits vergeben."), code="attachment_id_taken")
    if existing is not None and existing.ciphertext_sha256 == digest:
        return existing
    if submission.status != Submission.Status.ANNOUNCED:
        raise Conflict(
            _("Die Einreichung ist bereits abgeschlossen; Anhänge sind nicht mehr änderbar."),
            code="submission_closed",
        )
    storage = queries.attachment_storage()
    name = f"submissions/{submission.pk}/{attachment_id}.jwe"
    if existing is not None and storage.exists(existing.storage_name):
        storage.delete(existing.storage_name)
    # The file is written before the row that names it is committed: a crash in between
    # leaves at most an unreferenced file, never a row without its file.
    stored = storage.save(name, ContentFile(content))
    with transaction.atomic():
        if existing is None:
            attachment = SubmissionAttachment.objects.create(
                id=attachment_id,
                submission_id=submission.pk,
                size=len(content),
                ciphertext_sha256=digest,
                storage_name=stored,
                scan_status=ScanStatus.SENDER_ENCRYPTED,
            )
        else:
            attachment = existing
            attachment.size = len(content)
            attachment.ciphertext_sha256 = digest
            attachment.storage_name = stored
            attachment.save(update_fields=["size", "ciphertext_sha256", "storage_name"])
        record_audit(
            action="application.attachment_uploaded",
            actor=actor,
            object_type=Submission._meta.label_lower,
            object_id=str(submission.pk),
            attachment=attachment_id,
            ciphertext_sha256=digest,
        )
    return attachment


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
) -> Receipt:
    """Complete an announced submission: all attachments present, data and metadata JWE for
    the destination's key. Sending the same again returns the same receipt."""
    submission = queries.get_announced_submission(submission_id, for_update=True)
    for label, token in (
        ("encryptedData", encrypted_data),
        ("encryptedMetadata", encrypted_metadata),
    ):
        try:
            sealing.check_sealed(token, kid=submission.key.kid)
        except sealing.SealError as exc:
            raise InvalidInput(f"{label}: {exc}", code="invalid_jwe", field=label) from None
    ciphertext_hash = sealing.sha256_hex(encrypted_data.strip().encode())
    if submission.status != Submission.Status.ANNOUNCED:
        if submission.ciphertext_sha256 == ciphertext_hash:
            return Receipt(submission=submission, secret="")
        raise Conflict(
            _("Diese Einreichung wurde bereits mit anderen Daten abgeschlossen."),
            code="submission_closed",
        )
    queries.require_attachments_uploaded(submission)
    version = submission.form_version
    fee = rules.calculate_fee(queries.form_of(version), {})
    now = timezone.now()
    secret = new_secret()
    submission.encrypted_data = encrypted_data.strip()
    submission.encrypted_metadata = encrypted_metadata.strip()
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
    _save_with_number(submission, update_fields=_SUBMITTED_FIELDS)
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
    return Receipt(submission=submission, secret=secret)
