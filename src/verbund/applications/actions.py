"""Every state change of the applications domain: one atomic function each, audited.

Personal data never enters the audit log: entries name ids, the service, the authority and
hashes, not what the applicant wrote.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from verbund.accounts.encryption import decrypt, encrypt
from verbund.applications import attachments as attachment_checks
from verbund.applications import extensions, queries, rules, sealing
from verbund.applications.formschema import Form, parse_form, unresolved_codelists
from verbund.applications.models import (
    ApiRateWindow,
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
from verbund.core.errors import Conflict, DomainError, InvalidInput, NotFound, TooManyRequests
from verbund.integrations import payment as payment_api
from verbund.integrations.mail import enqueue_mail
from verbund.integrations.payment import xbezahldienste
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
                transaction.on_commit(partial(_delete_files, [n for _pk, n in replaced]))
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
    response: dict[str, Any] | None = None  # the API's first answer, for a retried completion


def _document(
    form: Form, version: FormVersion, service: Service, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "schema": f"urn:verbund:form:{version.definition.key}:{version.number}",
        "service": {"slug": service.slug, "leikaKey": service.leika_key, "name": service.name},
        "form": {"key": version.definition.key, "version": version.number, "title": form.title},
        "data": data,
    }


def _save_with_number(
    submission: Submission,
    update_fields: list[str] | None = None,
    *,
    prepare: Callable[[], None] | None = None,
) -> None:
    """Save with a fresh Vorgangsnummer, drawing again on the (rare) collision. `prepare`
    runs after each draw, before the save, for columns that name the number."""
    for _attempt in range(5):
        submission.vorgangsnummer = new_vorgangsnummer()
        if prepare is not None:
            prepare()
        try:
            with _statement_scope():
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


def _statement_scope() -> Any:
    """A savepoint where a failed statement spoils the transaction (PostgreSQL); SQLite
    undoes only the failed statement, so it needs none."""
    if transaction.get_connection().vendor == "sqlite":
        return contextlib.nullcontext()
    return transaction.atomic()


@transaction.atomic
def submit_draft(
    *, draft: Draft, consent: bool, actor: Actor, today: datetime.date | None = None
) -> Receipt:
    """Freeze a draft into a submission encrypted to the responsible authority, in one
    transaction with its attachments and audit entry; then the draft is gone.

    With a fee the submission waits for the payment; without one it is released at once."""
    locked = Draft.objects.select_for_update().filter(pk=draft.pk).first()
    if locked is None:
        # A parallel submit of the same draft (double click) won; its receipt is the answer.
        raise NotFound(_("Dieser Antrag wurde bereits abgesendet."), code="draft_submitted")
    draft = locked
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
        source_draft_id=draft.pk,
        source_token_hash=draft.resume_token_hash,
        first_response=encrypt(json.dumps({"accessCode": secret})),
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


class PaymentUnavailable(DomainError):
    """The payment provider cannot be reached or is not set up; the applicant tries later."""

    status = 503
    code = "payment_unavailable"


def payment_provider(name: str | None = None) -> payment_api.PaymentProvider:
    """The configured provider: XBezahldienste, or the demo's built-in test provider."""
    name = name or settings.VERBUND_PAYMENT_PROVIDER
    if name == "test":
        return TestPaymentProvider()
    if name == "xbezahldienste":
        if not (
            settings.VERBUND_XBEZAHLDIENSTE_URL
            and settings.VERBUND_XBEZAHLDIENSTE_ORIGINATOR_ID
            and settings.VERBUND_XBEZAHLDIENSTE_ENDPOINT_ID
        ):
            raise PaymentUnavailable(
                _(
                    "Die Online-Bezahlung ist noch nicht eingerichtet. "
                    "Bitte wenden Sie sich an die Behörde."
                )
            )
        return _xbezahldienste(
            xbezahldienste.Config(
                base_url=settings.VERBUND_XBEZAHLDIENSTE_URL,
                originator_id=settings.VERBUND_XBEZAHLDIENSTE_ORIGINATOR_ID,
                endpoint_id=settings.VERBUND_XBEZAHLDIENSTE_ENDPOINT_ID,
                token_url=settings.VERBUND_XBEZAHLDIENSTE_TOKEN_URL,
                client_id=settings.VERBUND_XBEZAHLDIENSTE_CLIENT_ID,
                client_secret=settings.VERBUND_XBEZAHLDIENSTE_CLIENT_SECRET,
                client_cert=settings.VERBUND_XBEZAHLDIENSTE_CLIENT_CERT,
                timeout=float(settings.VERBUND_PAYMENT_TIMEOUT),
            )
        )
    raise PaymentUnavailable(_("Unbekannter Bezahldienst."))


@functools.cache
def _xbezahldienste(config: xbezahldienste.Config) -> xbezahldienste.XBezahldiensteProvider:
    """One client per configuration and process (it keeps its access token)."""
    return xbezahldienste.XBezahldiensteProvider(config)


def payment_secret() -> bytes:
    secret = settings.VERBUND_PAYMENT_SECRET or f"payment:{settings.SECRET_KEY}"
    return hashlib.sha256(secret.encode()).digest()


def payment_purpose(submission: Submission) -> str:
    """The Verwendungszweck: the interface allows 27 characters of letters, digits, blanks
    and hyphens; the Vorgangsnummer alone identifies the case."""
    return re.sub(r"[^A-Za-z0-9 -]", "", f"Vorgang {submission.vorgangsnummer}")[:27]


def request_payment(
    *, submission: Submission, redirect_url: str, actor: Actor
) -> tuple[Payment, str]:
    """Open a payment request for the submission's fee at the provider; returns it and the
    payer's URL. The provider is called outside any transaction: a slow provider holds no
    lock, and a failed call leaves the payment recorded as FAILED with the reason."""
    provider = payment_provider()
    payment = _open_payment(submission=submission, provider=provider.name, actor=actor)
    request = payment_api.PaymentRequest(
        request_id=payment.request_id,
        amount=payment.amount,
        currency=payment.currency,
        purpose=payment.purpose,
        description=str(submission.service.name),
        redirect_url=redirect_url,
        timestamp=timezone.now().strftime("%Y-%m-%dT%H:%M:%S.") + "000Z",
        items=(
            payment_api.PaymentItem(
                item_id="1",
                reference=str(submission.service.leika_key or submission.service.slug)[:36],
                description=str(submission.service.name),
                amount=payment.amount,
                booking_data=(("vorgangsnummer", str(submission.vorgangsnummer)),),
            ),
        ),
    )
    try:
        start = provider.start(request)
    except (payment_api.ProviderUnavailable, payment_api.ProviderRefused) as exc:
        _payment_failed(payment=payment, reason=str(exc)[:200], actor=actor)
        raise PaymentUnavailable(
            _("Der Bezahldienst ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.")
        ) from exc
    _payment_started(payment=payment, reference=start.reference, actor=actor)
    return payment, start.payment_url


@transaction.atomic
def _open_payment(*, submission: Submission, provider: str, actor: Actor) -> Payment:
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.status != Submission.Status.AWAITING_PAYMENT:
        raise Conflict(_("Für diesen Antrag ist keine Zahlung offen."), code="no_payment_due")
    payment = Payment.objects.create(
        request_id=uuid.uuid4().hex,
        submission=submission,
        provider=provider,
        amount=Decimal(submission.fee_total),
        currency="EUR",
        purpose=payment_purpose(submission),
        status=Payment.Status.INITIAL,
    )
    record_audit(
        action="application.payment_requested",
        actor=actor,
        obj=payment,
        submission=str(submission.pk),
        amount=str(payment.amount),
        provider=provider,
    )
    return payment


@transaction.atomic
def _payment_started(*, payment: Payment, reference: str, actor: Actor) -> None:
    Payment.objects.filter(pk=payment.pk).update(provider_reference=reference[:100])
    payment.provider_reference = reference[:100]
    record_audit(
        action="application.payment_started", actor=actor, obj=payment, reference=reference
    )


@transaction.atomic
def _payment_failed(*, payment: Payment, reason: str, actor: Actor) -> None:
    Payment.objects.filter(pk=payment.pk).update(
        status=Payment.Status.FAILED, status_detail=reason, updated_at=timezone.now()
    )
    record_audit(
        action="application.payment_status",
        actor=actor,
        obj=payment,
        before={"status": Payment.Status.INITIAL},
        after={"status": Payment.Status.FAILED},
        reason=reason,
    )


def refresh_payment(*, payment: Payment, actor: Actor) -> Payment:
    """Ask the provider for the payment's status and apply it (the only way a real
    provider's status is believed). The test provider has nothing to ask."""
    if payment.provider == "test" or not payment.provider_reference:
        return payment
    provider = payment_provider(payment.provider)
    if not isinstance(provider, xbezahldienste.XBezahldiensteProvider):
        return payment
    try:
        answer = provider.status(payment.provider_reference)
    except (payment_api.ProviderUnavailable, payment_api.ProviderRefused) as exc:
        raise PaymentUnavailable(
            _("Der Bezahldienst ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.")
        ) from exc
    return apply_payment_status(payment=payment, answer=answer, actor=actor)


# A status once reached changes only to PAYED: money that arrives after a cancellation or a
# timeout was still paid (the authority refunds a second payment, see below).
_PAYMENT_TRANSITIONS = {
    Payment.Status.INITIAL: {Payment.Status.PAYED, Payment.Status.FAILED, Payment.Status.CANCELED},
    Payment.Status.FAILED: {Payment.Status.PAYED},
    Payment.Status.CANCELED: {Payment.Status.PAYED},
    Payment.Status.PAYED: set(),
}


@transaction.atomic
def apply_payment_status(
    *, payment: Payment, answer: payment_api.PaymentStatus, actor: Actor
) -> Payment:
    """Apply what the provider's status query said. Idempotent: the same status twice changes
    nothing; a transition the table does not allow is recorded and ignored; PAYED releases
    the submission, and a second payment for an already released one is flagged for refund."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    payment.checked_at = timezone.now()
    if answer.request_id and answer.request_id != payment.request_id:
        raise InvalidInput(
            "Die Antwort des Bezahldienstes gehört zu einer anderen Zahlung.",
            code="payment_mismatch",
        )
    if answer.amount is not None and answer.amount != payment.amount:
        raise InvalidInput("Der gezahlte Betrag passt nicht.", code="payment_amount")
    if answer.status == payment.status:
        payment.save(update_fields=["checked_at"])
        return payment
    if answer.status not in _PAYMENT_TRANSITIONS[Payment.Status(payment.status)]:
        payment.save(update_fields=["checked_at"])
        record_audit(
            action="application.payment_status_ignored",
            actor=actor,
            obj=payment,
            before={"status": payment.status},
            reported=answer.status,
        )
        return payment
    before = payment.status
    payment.status = answer.status
    payment.payment_method = answer.payment_method[:40]
    payment.status_detail = answer.detail[:200]
    if answer.status == Payment.Status.PAYED:
        payment.paid_at = parse_datetime(answer.paid_at) if answer.paid_at else timezone.now()
    payment.save()
    record_audit(
        action="application.payment_status",
        actor=actor,
        obj=payment,
        before={"status": before},
        after={"status": payment.status},
        late=before != Payment.Status.INITIAL,
    )
    if payment.status == Payment.Status.PAYED:
        _release_after_payment(payment=payment, actor=actor)
    return payment


def _release_after_payment(*, payment: Payment, actor: Actor) -> None:
    submission = Submission.objects.select_for_update().get(pk=payment.submission_id)
    if submission.released_at is None:
        submission.status = Submission.Status.RECEIVED
        submission.released_at = timezone.now()
        submission.save(update_fields=["status", "released_at", "updated_at"])
        record_audit(action="application.released", actor=actor, obj=submission, after_payment=True)
        extensions.notify_released(submission)
    elif submission.payments.filter(status=Payment.Status.PAYED).exclude(pk=payment.pk).exists():
        # Paid twice (a late payment after a new one): the authority refunds one.
        record_audit(action="application.payment_twice", actor=actor, obj=payment, refund=True)


def handle_payment_notification(*, raw_body: bytes, signature: str, actor: Actor) -> Payment:
    """A provider's notification that something happened to a payment. Believed only with a
    valid signature, and even then only as the cue to ask the provider (status query)."""
    if not payment_api.notification_signed(raw_body, signature, payment_secret()):
        raise DomainError(
            "Die Signatur der Zahlungsmeldung ist ungültig.", code="payment_signature", status=403
        )
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput(
            "Die Zahlungsmeldung ist kein JSON.", code="payment_notification"
        ) from None
    info = body.get("paymentInformation") if isinstance(body, dict) else None
    request = body.get("paymentRequest") if isinstance(body, dict) else None
    transaction_id = str((info or {}).get("transactionId") or "")
    request_id = str((request or {}).get("requestId") or "")
    payment = (
        Payment.objects.filter(provider_reference=transaction_id).exclude(provider="test").first()
        if transaction_id
        else Payment.objects.filter(request_id=request_id).exclude(provider="test").first()
    )
    if payment is None or not (transaction_id or request_id):
        raise NotFound("Unbekannte Zahlung.", code="unknown_payment")
    return refresh_payment(payment=payment, actor=actor)


def reconcile_payments(*, actor: Actor, now: datetime.datetime | None = None) -> dict[str, int]:
    """Ask the provider about every open payment; one still open after
    VERBUND_PAYMENT_EXPIRY_MINUTES is cancelled here (the applicant may pay anew; money
    that arrives later is still accepted). Returns counts per outcome."""
    now = now or timezone.now()
    expiry = now - datetime.timedelta(minutes=settings.VERBUND_PAYMENT_EXPIRY_MINUTES)
    counts = {"checked": 0, "changed": 0, "expired": 0, "unreachable": 0}
    for payment in Payment.objects.filter(status=Payment.Status.INITIAL).exclude(provider="test"):
        counts["checked"] += 1
        before = payment.status
        try:
            payment = refresh_payment(payment=payment, actor=actor)
        except PaymentUnavailable:
            counts["unreachable"] += 1
            continue
        if payment.status != before:
            counts["changed"] += 1
        elif payment.created_at < expiry:
            apply_payment_status(
                payment=payment,
                answer=payment_api.PaymentStatus(
                    status=Payment.Status.CANCELED,
                    transaction_id=payment.provider_reference,
                    detail="abgelaufen",
                ),
                actor=actor,
            )
            counts["expired"] += 1
    return counts


@transaction.atomic
def apply_payment_callback(*, raw_body: bytes, signature: str, actor: Actor) -> Payment:
    """The demo's test provider: its signed callback carries the status itself (a real
    provider's status comes only from its status query, `refresh_payment`). A confirmed
    payment releases the submission; repeated callbacks change nothing."""
    body = payment_api.verify(raw_body, signature, payment_secret())
    if body is None:
        raise InvalidInput(
            "Die Signatur der Zahlungsmeldung ist ungültig.", code="payment_signature"
        )
    payment = (
        Payment.objects.select_for_update()
        .select_related("submission")
        .filter(request_id=body["requestId"], provider="test")
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
            attachment = SubmissionAttachment.objects.create(
                id=attachment_id,
                submission_id=submission.pk,
                size=len(content),
                ciphertext_sha256=digest,
                storage_name=stored,
                scan_status=ScanStatus.SENDER_ENCRYPTED,
            )
            _audit_attachment_upload(submission, attachment_id, digest, actor=actor)
    except IntegrityError:
        return _replace_sender_attachment(
            submission, attachment_id, digest, stored=stored, size=len(content), actor=actor
        )
    return attachment


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
    transaction.on_commit(lambda: _delete_files([previous]))
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
    secret = new_secret()
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
    _save_with_number(submission, update_fields=fields, prepare=keep_first_response)
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


def count_api_request(*, client: str, now: datetime.datetime | None = None) -> None:
    """Count one request of `client` to the public submission API in the current minute;
    refuse it (429, with the seconds until the next window) beyond the allowance. The
    increment is one upsert that returns the new count, so parallel requests are all
    counted and no request pays for more than one statement (a new window also clears
    the windows of an hour ago)."""
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    client = client[:64]
    count = _increment_rate_window(client, window)
    if count == 1:
        ApiRateWindow.objects.filter(window__lt=window - 60 * RATE_WINDOW).delete()
    if count > settings.VERBUND_SUBMISSION_API_RATE:
        raise TooManyRequests(
            _("Zu viele Anfragen von Ihrer Adresse. Bitte warten Sie einen Moment."),
            retry_after=max(1, int((window + RATE_WINDOW - now).total_seconds()) + 1),
        )


def _increment_rate_window(client: str, window: datetime.datetime) -> int:
    connection = connections[router.db_for_write(ApiRateWindow)]
    quote = connection.ops.quote_name
    table = quote(ApiRateWindow._meta.db_table)
    stored_window = ApiRateWindow._meta.get_field("window").get_db_prep_value(window, connection)
    with connection.cursor() as cursor:
        # INSERT … ON CONFLICT … RETURNING: PostgreSQL and SQLite >= 3.35 alike.
        cursor.execute(
            f"INSERT INTO {table} ({quote('client')}, {quote('window')}, {quote('count')}) "  # noqa: S608 (names from the model)
            f"VALUES (%s, %s, 1) ON CONFLICT ({quote('client')}, {quote('window')}) "
            f"DO UPDATE SET {quote('count')} = {table}.{quote('count')} + 1 "
            f"RETURNING {quote('count')}",
            [client, stored_window],
        )
        row = cursor.fetchone()
    return int(row[0])
