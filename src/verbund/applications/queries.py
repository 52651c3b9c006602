"""Reads of the applications domain, with every ownership and tenant check.

A draft is reached by its owner's account or by the secret resume token; a submission by
the applicant's account or by Vorgangsnummer plus access code; the receiving authority's staff
reach submissions through `get_submission_for_staff_or_404`, and only they can decrypt.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from verbund.applications import extensions, sealing
from verbund.applications import metadata as metadata_shape
from verbund.applications.access_codes import access_code_matches as access_code_matches
from verbund.applications.formschema import Form, parse_form
from verbund.applications.models import (
    Draft,
    FormDefinition,
    FormVersion,
    Submission,
    SubmissionAttachment,
)
from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority, EncryptionKey
from verbund.catalogue import queries as catalogue_queries
from verbund.catalogue.extensions import ServiceAction
from verbund.catalogue.types import Service
from verbund.core import attachments as attachment_checks
from verbund.core.audit import record_audit
from verbund.core.encryption import decrypt
from verbund.core.errors import DomainError, InvalidInput, NotFound
from verbund.finder.extensions import OnlineOffer
from verbund.finder.queries import resolve
from verbund.finder.types import Basis, Place

User = AbstractBaseUser | AnonymousUser


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def attachment_storage() -> Storage:
    return storages["attachments"]


# --- forms ----------------------------------------------------------------------------------


# Parsed forms by (version id, content hash): a version's schema never changes under the same
# hash, so each process parses it once and later requests need not even load the JSON column.
_FORMS: dict[tuple[int, str], Form] = {}
_FORMS_MAX = 256


def form_of(version: FormVersion) -> Form:
    """The typed form of a version (parsed once per process; versions are immutable)."""
    if version.pk is None:
        return parse_form(version.schema)
    key = (version.pk, version.content_hash)
    form = _FORMS.get(key)
    if form is None:
        if "schema" in version.get_deferred_fields():
            schema = FormVersion.objects.values_list("schema", flat=True).get(pk=version.pk)
        else:
            schema = version.schema
        form = parse_form(schema)
        if len(_FORMS) >= _FORMS_MAX:
            _FORMS.clear()
        _FORMS[key] = form
    return form


def api_service_and_version(identifier: str) -> tuple[Service, FormVersion | None]:
    """The service named in an API announcement and its published form version, in one
    query for the usual case (identifier = slug), with only the columns the API needs."""
    version = (
        FormVersion.objects.select_related("definition__service")
        .only(
            "id",
            "number",
            "status",
            "content_hash",
            "definition__id",
            "definition__service__id",
            "definition__service__slug",
            "definition__service__level",
            "definition__service__wirkungskreis",
        )
        .filter(definition__service__slug=identifier, status=FormVersion.Status.PUBLISHED)
        .order_by()
        .first()
    )
    if version is not None and version.definition.service is not None:
        return version.definition.service, version
    service = get_service_by_identifier(identifier)
    return service, published_version(service)


def published_version(service: Service) -> FormVersion | None:
    return (
        FormVersion.objects.select_related("definition")
        .defer("schema")
        .filter(definition__service=service, status=FormVersion.Status.PUBLISHED)
        .first()
    )


def get_service(slug: str) -> Service:
    service = catalogue_queries.all_services().filter(slug=slug).first()
    if service is None:
        raise NotFound(_("Diese Leistung gibt es nicht."), code="unknown_service")
    return service


def get_service_by_identifier(identifier: str) -> Service:
    """A service by slug, by 14-digit Leistungsschlüssel, or by `urn:de:fim:leika:leistung:…`."""
    key = identifier.removeprefix("urn:de:fim:leika:leistung:")
    condition = Q(slug=identifier)
    if key.isdigit():
        condition |= Q(leika_key=key)
    service = (
        catalogue_queries.all_services().filter(condition).order_by("-is_curated", "pk").first()
    )
    if service is None:
        raise NotFound(_("Diese Leistung gibt es nicht."), code="unknown_service")
    return service


def services_with_forms(query: str = "") -> QuerySet[Service]:
    services = (
        catalogue_queries.all_services()
        .filter(form_definition__versions__status=FormVersion.Status.PUBLISHED)
        .distinct()
    )
    for word in query.split():
        services = services.filter(Q(name__icontains=word) | Q(slug__icontains=word))
    return services.order_by("name")


def form_definitions() -> QuerySet[FormDefinition]:
    return FormDefinition.objects.select_related("service").prefetch_related("versions")


# --- responsibility -------------------------------------------------------------------------


@dataclass
class Responsibility:
    """Who receives the application, and why (the finder's answer, or the form's designated
    authority for services the finder cannot place yet)."""

    authority: Authority | None
    basis: str
    explanation: str
    candidates: list[Any] = field(default_factory=list)
    gemeinde_name: str = ""
    gemeinde_ags: str = ""

    @property
    def is_ambiguous(self) -> bool:
        return self.authority is None and bool(self.candidates)


# Responsibility answers by service and place, kept briefly per process: the finder's answer
# needs a dozen queries, and the API asks the same question for every submission from a place.
# The answer may lag a change of the directories by at most this many seconds.
RESPONSIBILITY_TTL = 60.0
_RESPONSIBILITY: dict[tuple[Any, ...], tuple[float, Responsibility]] = {}
_RESPONSIBILITY_MAX = 4096


def responsibility_cached(*, service: Service, form: Form, place: Place | None) -> Responsibility:
    """`responsibility` for the submission API, memoised for `RESPONSIBILITY_TTL` seconds."""
    key = (
        service.pk,
        service.level,
        service.wirkungskreis,
        form.designated_authority,
        place,
        translation.get_language(),
    )
    now = time.monotonic()
    hit = _RESPONSIBILITY.get(key)
    if hit is not None and now - hit[0] < RESPONSIBILITY_TTL:
        return hit[1]
    answer = responsibility(service=service, form=form, place=place)
    if len(_RESPONSIBILITY) >= _RESPONSIBILITY_MAX:
        _RESPONSIBILITY.clear()
    _RESPONSIBILITY[key] = (now, answer)
    return answer


def clear_caches() -> None:
    _FORMS.clear()
    _RESPONSIBILITY.clear()


def responsibility(*, service: Service, form: Form, place: Place | None) -> Responsibility:
    answer = None
    if place is not None:
        answer = resolve(service=service, place=place)
        if answer.authority is not None or answer.is_ambiguous:
            return Responsibility(
                authority=answer.authority,
                basis=str(answer.basis),
                explanation=answer.explanation,
                candidates=list(answer.candidates),
                gemeinde_name=answer.gemeinde.display_name if answer.gemeinde else "",
                gemeinde_ags=answer.gemeinde.ags if answer.gemeinde else "",
            )
    if form.designated_authority:
        authority = authority_queries.get_authority(form.designated_authority)
        return Responsibility(
            authority=authority,
            basis=str(Basis.DESIGNATED_AUTHORITY),
            explanation=_("Anträge für diese Leistung gehen an %(name)s.")
            % {"name": authority.name},
            gemeinde_name=answer.gemeinde.display_name if answer and answer.gemeinde else "",
            gemeinde_ags=answer.gemeinde.ags if answer and answer.gemeinde else "",
        )
    return Responsibility(
        authority=None,
        basis=str(Basis.NO_AUTHORITY),
        explanation=answer.explanation
        if answer
        else _("Für diese Leistung ist noch keine zuständige Behörde erfasst."),
    )


def destination(slug: str) -> Authority:
    """A receiving authority (FIT-Connect: destination); only tenants receive submissions."""
    authority = authority_queries.all_authorities().filter(slug=slug).first()
    if authority is None:
        raise NotFound(f"Es gibt keine Behörde „{slug}“.", code="unknown_authority")
    if not authority.is_tenant:
        raise NotFound(
            _("Diese Behörde nimmt keine Online-Anträge an."), code="unknown_destination"
        )
    return authority


def destination_with_key(slug: str) -> tuple[Authority, EncryptionKey | None]:
    """The destination with its active encryption key in one query (None before the first
    key has been generated; `authorities.actions.ensure_encryption_key` makes it then).
    Only the columns the API needs are read: this runs for every announced submission."""
    key = authority_queries.active_key_by_slug(slug)
    if key is None:
        return destination(slug), None
    if not key.authority.is_tenant:
        raise NotFound(
            _("Diese Behörde nimmt keine Online-Anträge an."), code="unknown_destination"
        )
    return key.authority, key


# --- drafts ---------------------------------------------------------------------------------


def get_draft(
    draft_id: Any, *, user: User, tokens: dict[str, str] | None = None, token: str = ""
) -> Draft:
    """The draft if the user owns it or holds its resume token; expired drafts are gone."""
    draft = (
        Draft.objects.select_related("form_version", "service", "authority", "applicant_authority")
        .filter(pk=draft_id, expires_at__gt=timezone.now())
        .first()
    )
    if draft is None:
        raise NotFound(_("Dieser Antragsentwurf ist nicht (mehr) vorhanden."), code="unknown_draft")
    if draft.owner_id is not None and user.is_authenticated and draft.owner_id == user.pk:
        return draft
    candidates = [token] if token else []
    if tokens:
        candidates.append(tokens.get(str(draft.pk), ""))
    for candidate in candidates:
        if candidate and hmac.compare_digest(token_hash(candidate), draft.resume_token_hash):
            return draft
    raise NotFound(_("Dieser Antragsentwurf ist nicht (mehr) vorhanden."), code="unknown_draft")


def submission_of_draft(
    draft_id: Any, *, user: User, tokens: dict[str, str] | None = None
) -> tuple[Submission, str] | None:
    """The submission a web draft became, with its access code, for whoever held the draft
    (its owner, or the browser with its resume token); None for anyone else. A repeated
    "Antrag absenden" gets the receipt of the first."""
    submission = (
        Submission.objects.filter(source_draft_id=str(draft_id))
        .only("id", "vorgangsnummer", "status", "applicant_id", "source_token_hash")
        .first()
        if _is_uuid(draft_id)
        else None
    )
    if submission is None:
        return None
    owner = user.is_authenticated and submission.applicant_id == user.pk
    token = (tokens or {}).get(str(draft_id), "")
    held = bool(token) and hmac.compare_digest(token_hash(token), submission.source_token_hash)
    if not (owner or held):
        return None
    first = Submission.objects.filter(pk=submission.pk).values_list("first_response", flat=True)[0]
    secret = str(json.loads(decrypt(first)).get("accessCode", "")) if first else ""
    return submission, secret


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def drafts_of(user: User) -> QuerySet[Draft]:
    if not user.is_authenticated:
        return Draft.objects.none()
    return (
        Draft.objects.filter(owner_id=user.pk, expires_at__gt=timezone.now())
        .select_related("service", "authority")
        .order_by("-updated_at")
    )


def expired_drafts() -> QuerySet[Draft]:
    return Draft.objects.filter(expires_at__lte=timezone.now())


# --- submissions: applicants ----------------------------------------------------------------


def submissions_of(user: User) -> QuerySet[Submission]:
    if not user.is_authenticated:
        return Submission.objects.none()
    return (
        Submission.objects.filter(applicant_id=user.pk)
        .exclude(status=Submission.Status.ANNOUNCED)
        .select_related("service", "authority")
        .order_by("-submitted_at")
    )


def released_submissions() -> QuerySet[Submission]:
    """Submissions released to the back office (casework narrows them to a staff member's
    authority and service areas)."""
    return Submission.objects.filter(released_at__isnull=False)


def submission_for_update(pk: Any) -> Submission:
    """The submission, locked for the rest of the transaction (a case's status change)."""
    return Submission.objects.select_for_update().get(pk=pk)


def authority_id_of_submission(submission_id: Any) -> QuerySet[Submission, Any]:
    """The receiving authority's id of a submission, as a subquery (no case loaded)."""
    return Submission.objects.filter(pk=submission_id).values("authority_id")[:1]


def anonymous_submission(vorgangsnummer: str) -> Submission | None:
    """The submitted case of an applicant without an account by its number; the caller checks
    the access code (mailbox's anonymous Postfach, the status lookup)."""
    return (
        Submission.objects.select_related("service", "authority")
        .filter(vorgangsnummer=vorgangsnummer, applicant__isnull=True)
        .exclude(status=Submission.Status.ANNOUNCED)
        .first()
    )


def get_submission_for_applicant(
    vorgangsnummer: str, *, user: User, secret: str = "", session_numbers: list[str] | None = None
) -> Submission:
    """The submission for its applicant: by account, by access code, or right after
    submitting (the session remembers it). Anyone else gets NotFound."""
    submission = (
        Submission.objects.select_related("service", "authority", "form_version__definition")
        .filter(vorgangsnummer=vorgangsnummer.strip().upper())
        .first()
    )
    if submission is not None:
        if user.is_authenticated and submission.applicant_id == user.pk:
            return submission
        if session_numbers and submission.vorgangsnummer in session_numbers:
            return submission
        if secret and access_code_matches(secret, submission.status_secret_hash):
            return submission
    raise NotFound(
        _("Zu dieser Vorgangsnummer und diesem Zugangscode gibt es keinen Antrag."),
        code="unknown_submission",
    )


@dataclass(frozen=True)
class AnnouncedRef:
    """What an attachment upload needs to know of its submission (one narrow query)."""

    pk: Any
    status: str
    announced_attachments: list[str]
    kid: str


def announced_ref(submission_id: Any) -> AnnouncedRef:
    row = (
        Submission.objects.filter(pk=submission_id)
        .order_by()
        .values_list("pk", "status", "announced_attachments", "key__kid")
        .first()
    )
    if row is None:
        raise NotFound(_("Diese Einreichung gibt es nicht."), code="unknown_submission")
    return AnnouncedRef(*row)


# The columns of related rows the API steps use; read in the same query as the submission.
_API_RELATED = (
    "key__id",
    "key__kid",
    "authority__id",
    "authority__slug",
    "authority__name",
    "service__id",
    "service__slug",
    "form_version__id",
    "form_version__number",
    "form_version__content_hash",
)


def get_announced_submission(submission_id: Any, *, for_update: bool = False) -> Submission:
    """A submission of the API by id, with what the API steps need in the same query
    (`for_update` locks the row: call it inside the transaction that changes it)."""
    submission = _announced(for_update=for_update).filter(pk=submission_id).first()
    if submission is None:
        raise NotFound(_("Diese Einreichung gibt es nicht."), code="unknown_submission")
    return submission


def lock_announced_for_completion(submission_id: Any) -> tuple[Submission, int]:
    """The submission locked for its completion and the number of its uploaded
    attachments, in one query (call it inside the completing transaction)."""
    uploads = (
        SubmissionAttachment.objects.filter(submission=OuterRef("pk"))
        .order_by()
        .values("submission")
        .annotate(n=Count("pk"))
        .values("n")
    )
    row = (
        _announced(for_update=True)
        .annotate(uploaded_count=Coalesce(Subquery(uploads), 0))
        .filter(pk=submission_id)
        .first()
    )
    if row is None:
        raise NotFound(_("Diese Einreichung gibt es nicht."), code="unknown_submission")
    return row, int(row.uploaded_count)


def _announced(*, for_update: bool) -> QuerySet[Submission]:
    fields = [f.name for f in Submission._meta.concrete_fields]
    submissions = (
        Submission.objects.select_related("key", "authority", "service", "form_version")
        .only(*fields, *_API_RELATED)
        .order_by()
    )
    if for_update:
        submissions = submissions.select_for_update(of=("self",))
    return submissions


# --- submissions: the receiving authority ---------------------------------------------------


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


def online_application_action(service: Service) -> ServiceAction | None:
    """The service page's "Online beantragen" button, when a published form exists."""
    if published_version(service) is None:
        return None
    if extensions.online_depends_on_place(service):
        # Rolled out per authority: the start page asks for the place first and says
        # plainly when the service is not online there.
        return ServiceAction(
            label=_("Online-Antrag: an Ihrem Ort verfügbar?"),
            url=reverse("applications:start", args=[service.slug]),
            primary=True,
        )
    return ServiceAction(
        label=_("Online beantragen"),
        url=reverse("applications:start", args=[service.slug]),
        primary=True,
    )


def not_online_note(authority: Authority) -> str:
    return _(
        "%(name)s bietet diese Leistung nicht online an. Sie können sie dort persönlich, "
        "schriftlich oder per E-Mail beantragen; die Kontaktdaten stehen hier."
    ) % {"name": authority.name}


def online_offer(service: Service, authority: Authority, gemeinde_ags: str) -> OnlineOffer | None:
    """The finder's answer: "Online beantragen" where the form may be used, else a plain note."""
    if published_version(service) is None:
        return None
    if not extensions.online_offered(service, authority):
        return OnlineOffer(note=not_online_note(authority))
    url = reverse("applications:start", args=[service.slug])
    return OnlineOffer(url=f"{url}?{urlencode({'ags': gemeinde_ags})}" if gemeinde_ags else url)


# --- usage metering (read by costs) ---------------------------------------------------------


def submissions_per_authority_and_service(
    start: datetime.datetime, end: datetime.datetime
) -> list[tuple[int, str, int]]:
    """(authority id, service slug, number) of the applications submitted in [start, end)."""
    rows = (
        Submission.objects.filter(
            submitted_at__gte=start, submitted_at__lt=end, authority__isnull=False
        )
        .values("authority_id", "service__slug")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(r["authority_id"], r["service__slug"], r["n"]) for r in rows]


def attachment_bytes_per_authority(end: datetime.datetime) -> dict[int, int]:
    """Bytes of the stored attachments of the applications submitted before `end`."""
    rows = (
        SubmissionAttachment.objects.filter(
            submission__submitted_at__lt=end, submission__authority__isnull=False
        )
        .values("submission__authority_id")
        .annotate(n=Sum("size"))
        .order_by()
    )
    return {r["submission__authority_id"]: int(r["n"] or 0) for r in rows}


# --- aggregate facts (transparency) ---------------------------------------------------------


def released_submission_facts() -> list[dict[str, Any]]:
    """One row per released submission, without personal data: service, place (AGS), receiving
    authority, release time, channel and the applicant account's proven trust level (empty
    without an account). The transparency figures are counted from these rows."""
    return [
        dict(row)
        for row in Submission.objects.filter(released_at__isnull=False).values(
            "pk",
            "service__slug",
            "place_ags",
            "authority_id",
            "released_at",
            "channel",
            "applicant__trust_level",
        )
    ]


def processing_time(submission: Submission) -> str:
    """How long the service usually takes, from the catalogue (the authority's own text
    where it wrote one); empty when the catalogue does not say."""
    from verbund.catalogue import queries as catalogue_queries

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
