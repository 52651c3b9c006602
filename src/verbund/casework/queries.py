"""THE access layer of the back office: every read of case data goes through here.

Staff see the cases of the authorities they are active members of, with a case-working role
(Sachbearbeitung or Leitung) and, when their membership names service areas, only the
services in them. Everyone else gets NotFound: another authority's staff cannot even learn
that a Vorgangsnummer exists. A specialist system (Fachverfahren) reaches its authority's
cases with the authority's API key. Decryption of form data happens only in `open_case`.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from verbund.applications import queries as application_queries
from verbund.applications.types import Submission
from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority, StaffMembership, StaffRole
from verbund.casework import rules
from verbund.casework.models import Case, CaseNameToken, Decision, Handoff, ServiceTerms
from verbund.catalogue import queries as catalogue_queries
from verbund.catalogue.types import Service
from verbund.core.errors import DomainError, InvalidInput, NotFound
from verbund.core.models import AuditEntry

User = AbstractBaseUser | AnonymousUser

CASE_ROLES = (StaffRole.CLERK, StaffRole.LEAD)
ADMIN_ROLES = (StaffRole.LEAD, StaffRole.ADMIN)
PAGE_SIZE = 25


def _not_found() -> NotFound:
    return NotFound("Nicht gefunden.", code="not_found")


# --- who may see what -----------------------------------------------------------------------


def membership_or_404(
    user: User, slug: str, *, roles: tuple[str, ...] = CASE_ROLES
) -> StaffMembership:
    """The user's active membership in the authority with one of `roles`, or NotFound."""
    membership = (
        authority_queries.memberships_of(user).filter(authority__slug=slug, role__in=roles).first()
    )
    if membership is None:
        raise _not_found()
    return membership


def _service_area_filter(membership: StaffMembership) -> Q:
    areas = [str(a) for a in membership.service_areas or []]
    if not areas:
        return Q()
    q = Q(pk__in=[])
    for prefix in areas:
        q |= Q(service__leika_key__startswith=prefix)
    return q


def cases_of(membership: StaffMembership) -> QuerySet[Submission]:
    """The released cases a membership may see (its authority, its service areas)."""
    return (
        application_queries.released_submissions()
        .filter(authority_id=membership.authority_id, status__in=rules.BACK_OFFICE)
        .filter(_service_area_filter(membership))
        .select_related("service", "case", "case__assignee")
    )


def get_case_for_staff_or_404(
    user: User, number: str, *, roles: tuple[str, ...] = CASE_ROLES
) -> Case:
    """A case of one of the user's authorities, within their service areas; else NotFound."""
    submission = (
        application_queries.released_submissions()
        .select_related("service", "authority", "key", "case")
        .filter(vorgangsnummer=number)
        .first()
    )
    if submission is None:
        raise _not_found()
    membership = (
        authority_queries.memberships_of(user)
        .filter(authority_id=submission.authority_id, role__in=roles)
        .first()
    )
    if membership is None or not membership.covers_service(submission.service.leika_key):
        raise _not_found()
    case = getattr(submission, "case", None)
    if case is None:
        raise _not_found()
    return case


def role_in(user: User, authority_id: int) -> str:
    membership = authority_queries.memberships_of(user).filter(authority_id=authority_id).first()
    return membership.role if membership else ""


def colleagues(authority: Authority) -> QuerySet[StaffMembership]:
    return authority_queries.staff_of(authority).filter(active=True, role__in=CASE_ROLES)


def colleague(authority: Authority, user_id: str) -> AbstractBaseUser:
    """The colleague with this id (as a form sends it) who may work on the authority's
    cases; anything else, tampered or gone, is refused with a German message."""
    parsed = rules.parse_user_id(user_id)
    membership = colleagues(authority).filter(user_id=parsed).first() if parsed else None
    if membership is None:
        raise InvalidInput(
            _("Bitte wählen Sie eine Person aus der Liste."), code="assignee_invalid"
        )
    return membership.user


# --- the inbox ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilter:
    status: str = ""  # "" = open cases, "all", or one status
    service: str = ""  # service slug
    deadline: str = ""  # "", "overdue", "week"
    assignee: str = ""  # "", "me", "none", or a user id
    q: str = ""


@dataclass
class InboxPage:
    rows: list[Submission]
    next_cursor: str = ""
    today: datetime.date = field(default_factory=datetime.date.today)


def encode_cursor(submission: Submission) -> str:
    assert submission.released_at is not None
    raw = f"{submission.released_at.isoformat()}|{submission.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.datetime, str]:
    """The position a cursor of `encode_cursor` names; anything else is refused (400)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, pk = raw.split("|", 1)
        moment = datetime.datetime.fromisoformat(moment_text)
        if timezone.is_naive(moment):
            raise ValueError("cursor time without zone")
        return moment, str(uuid.UUID(pk))
    except (ValueError, UnicodeDecodeError):
        raise DomainError(_("Ungültige Seitenangabe."), code="invalid_cursor") from None


def search_key() -> bytes:
    secret = settings.VERBUND_CASEWORK_SEARCH_KEY or f"casework-search:{settings.SECRET_KEY}"
    return hashlib.sha256(secret.encode()).digest()


def name_search_tokens(text: str, authority_id: int) -> set[str]:
    return rules.blind_tokens([text], key=search_key(), scope=str(authority_id))


def inbox_page(
    membership: StaffMembership,
    filters: InboxFilter,
    *,
    cursor: str = "",
    size: int = PAGE_SIZE,
    today: datetime.date | None = None,
) -> InboxPage:
    """One page of the authority's inbox, newest first, paginated by keyset (released_at, id):
    a deep page costs as much as the first, no OFFSET scan."""
    today = today or timezone.localdate()
    qs = cases_of(membership)
    if filters.status == "all":
        pass
    elif filters.status:
        qs = qs.filter(status=filters.status)
    else:
        qs = qs.filter(status__in=rules.OPEN)
    if filters.service:
        qs = qs.filter(service__slug=filters.service)
    if filters.deadline == "overdue":
        qs = qs.filter(case__deadline__lt=today, status__in=rules.OPEN)
    elif filters.deadline == "week":
        qs = qs.filter(case__deadline__lte=today + datetime.timedelta(days=7))
    if filters.assignee == "me":
        qs = qs.filter(case__assignee_id=membership.user_id)
    elif filters.assignee == "none":
        qs = qs.filter(case__assignee__isnull=True)
    elif filters.assignee:
        assignee_id = rules.parse_user_id(filters.assignee)
        if assignee_id is None:
            raise DomainError(_("Ungültige Auswahl der Bearbeitung."), code="invalid_assignee")
        qs = qs.filter(case__assignee_id=assignee_id)
    text = filters.q.strip()
    if text:
        match = Q(vorgangsnummer__startswith=text.upper())
        tokens = name_search_tokens(text, membership.authority_id)
        if tokens:
            by_name = Q()
            for token in tokens:
                by_name &= Q(pk__in=CaseNameToken.objects.filter(token=token).values("case_id"))
            match |= by_name
        qs = qs.filter(match)
    if cursor:
        moment, pk = decode_cursor(cursor)
        qs = qs.filter(released_at__lte=moment).filter(Q(released_at__lt=moment) | Q(pk__lt=pk))
    # Only what the inbox shows: the service's long texts stay in the database.
    qs = qs.only(
        "vorgangsnummer",
        "status",
        "released_at",
        "authority_id",
        "service__name",
        "service__slug",
        "service__leika_key",
        "case__deadline",
        "case__assignee__username",
        "case__assignee__first_name",
        "case__assignee__last_name",
    )
    rows = list(qs.order_by("-released_at", "-pk")[: size + 1])
    next_cursor = encode_cursor(rows[size - 1]) if len(rows) > size else ""
    return InboxPage(rows=rows[:size], next_cursor=next_cursor, today=today)


def services_of(membership: StaffMembership) -> QuerySet[Service]:
    ids = ServiceTerms.objects.values("service_id")
    used = cases_of(membership).values("service_id")
    return catalogue_queries.all_services().filter(Q(pk__in=used) | Q(pk__in=ids)).order_by("name")


# --- a case ---------------------------------------------------------------------------------


def open_case(
    user: User, case: Case, *, passphrase: str = ""
) -> application_queries.DecryptedSubmission:
    """Decrypt the form data and attachments with the authority's key (the only place)."""
    get_case_for_staff_or_404(user, str(case.submission.vorgangsnummer))
    return application_queries.decrypt_submission_for_staff(
        user, str(case.submission.vorgangsnummer), passphrase=passphrase
    )


def history(case: Case) -> QuerySet[AuditEntry]:
    """The audited steps of the case: submission, status changes, casework actions."""
    return AuditEntry.objects.filter(
        Q(object_type="applications.submission", object_id=str(case.pk))
        | Q(object_type="casework.case", object_id=str(case.pk))
    ).order_by("at", "id")


def decisions(case: Case) -> QuerySet[Decision]:
    return case.decisions.all()


def read_decision(user: User, case: Case, decision: Decision) -> bytes:
    """The Bescheid PDF, opened with the authority's key (checks access again)."""
    from verbund.core import sealing

    get_case_for_staff_or_404(user, str(case.submission.vorgangsnummer))
    private = authority_queries.private_key_for_staff(user, case.submission.key)
    with application_queries.attachment_storage().open(decision.storage_name, "rb") as fh:
        return sealing.open_sealed(fh.read(), private)


@dataclass(frozen=True)
class ThreadEntry:
    """One step of the Postfach conversation, as the authority reads it."""

    inbound: bool  # a reply of the applicant
    pk: str
    at: datetime.datetime
    kind: str
    subject: str
    body: str
    read_at: datetime.datetime | None
    attachments: list[tuple[str, str]]  # (id, filename)
    error: str = ""


def thread(user: User, case: Case) -> list[ThreadEntry]:
    """The Postfach conversation of the case; the applicant's replies decrypted with the
    authority's key (access checked again here)."""
    from verbund.mailbox import queries as mailbox_queries
    from verbund.mailbox.types import Message

    get_case_for_staff_or_404(user, str(case.submission.vorgangsnummer))
    entries: list[ThreadEntry] = []
    for item in mailbox_queries.thread_for_case(case.submission):
        if isinstance(item, Message):
            entries.append(
                ThreadEntry(
                    inbound=False,
                    pk=str(item.pk),
                    at=item.sent_at,
                    kind=item.get_kind_display(),
                    subject=str(item.subject),
                    body=str(item.body),
                    read_at=item.read_at,
                    attachments=[],
                )
            )
            continue
        try:
            private = authority_queries.private_key_for_staff(user, item.key)
            opened = mailbox_queries.open_reply(item, private)
        except DomainError as exc:
            entries.append(
                ThreadEntry(True, str(item.pk), item.sent_at, "", "", "", None, [], exc.message)
            )
            continue
        entries.append(
            ThreadEntry(
                inbound=True,
                pk=str(item.pk),
                at=item.sent_at,
                kind="",
                subject="",
                body=opened.body,
                read_at=None,
                attachments=[(a.id, a.filename) for a in opened.attachments],
            )
        )
    return entries


def reply_attachment(user: User, case: Case, reply_id: str, attachment_id: str) -> Any:
    """A file the applicant sent with a reply, decrypted; NotFound when not of this case."""
    from verbund.mailbox import queries as mailbox_queries

    get_case_for_staff_or_404(user, str(case.submission.vorgangsnummer))
    reply = mailbox_queries.reply_of_submission(reply_id, case.pk)
    if reply is None:
        raise _not_found()
    private = authority_queries.private_key_for_staff(user, reply.key)
    for attachment in mailbox_queries.open_reply(reply, private).attachments:
        if attachment.id == attachment_id:
            return attachment
    raise _not_found()


def terms_for(service: Service) -> tuple[int, int]:
    """(processing days, retention days) of a service, defaults from the settings."""
    terms = ServiceTerms.objects.filter(service=service).first()
    if terms is None:
        return (
            settings.VERBUND_CASEWORK_PROCESSING_DAYS,
            settings.VERBUND_CASEWORK_RETENTION_DAYS,
        )
    return terms.processing_days, terms.retention_days


def forward_targets(case: Case) -> QuerySet[Authority]:
    """The authorities a case may be forwarded to: those on the platform, but its own."""
    return (
        authority_queries.all_authorities()
        .filter(tenant_status="joined")
        .exclude(pk=case.submission.authority_id)
        .order_by("name")
    )


def forward_target(case: Case, slug: str) -> Authority:
    """The authority of `forward_targets` with this slug, or NotFound."""
    target = forward_targets(case).filter(slug=slug).first()
    if target is None:
        raise _not_found()
    return target


# --- the specialist system (Fachverfahren) --------------------------------------------------


def handoff_of(authority: Authority) -> Handoff | None:
    return Handoff.objects.filter(authority=authority).first()


def authority_for_api_key(key: str) -> Authority | None:
    if not key:
        return None
    digest = rules.api_key_hash(key)
    handoff = Handoff.objects.select_related("authority").filter(api_key_hash=digest).first()
    if handoff is None or not hmac.compare_digest(handoff.api_key_hash, digest):
        return None
    return handoff.authority


def get_case_for_authority_or_404(authority: Authority, number: str) -> Case:
    case = (
        Case.objects.select_related("submission__service", "submission__authority")
        .filter(
            submission__vorgangsnummer=number,
            submission__authority=authority,
            submission__released_at__isnull=False,
        )
        .first()
    )
    if case is None:
        raise _not_found()
    return case


def export_case(case: Case) -> dict[str, Any]:
    """The case for a specialist system: metadata in the clear, the form data and attachments
    still sealed (JWE) to the authority's key, as received (FIT-Connect shape)."""
    s = case.submission
    return {
        "vorgangsnummer": s.vorgangsnummer,
        "status": s.status,
        "service": {"slug": s.service.slug, "leikaKey": s.service.leika_key},
        "authority": s.authority.slug,
        "responsibility": {"basis": s.basis, "explanation": s.basis_explanation},
        "place": {"ags": s.place_ags, "plz": s.place_plz, "name": s.place_name},
        "submittedAt": s.submitted_at.isoformat() if s.submitted_at else None,
        "receivedAt": s.released_at.isoformat() if s.released_at else None,
        "deadline": case.deadline.isoformat(),
        "kid": s.key.kid,
        "encryptedData": s.encrypted_data,
        "encryptedMetadata": s.encrypted_metadata,
        "dataSha256": s.data_sha256,
        "attachments": [
            {"id": str(a.id), "mediaType": a.media_type, "sha256": a.sha256}
            for a in s.attachments.order_by("id")
        ],
        "decisions": [
            {"outcome": d.outcome, "filename": d.filename, "sha256": d.sha256}
            for d in case.decisions.all()
        ],
    }


def export_case_xml(case: Case) -> bytes:
    """The same export as XML (element names as in the JSON)."""
    root = ET.Element("vorgang", {"xmlns": "urn:verbund:casework:export:1"})

    def add(parent: ET.Element, name: str, value: Any) -> None:
        if isinstance(value, dict):
            node = ET.SubElement(parent, name)
            for k, v in value.items():
                add(node, k, v)
        elif isinstance(value, list):
            node = ET.SubElement(parent, name)
            for item in value:
                add(node, name.rstrip("s") if name.endswith("s") else "item", item)
        else:
            ET.SubElement(parent, name).text = "" if value is None else str(value)

    for k, v in export_case(case).items():
        add(root, k, v)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# --- retention ------------------------------------------------------------------------------


def expired_cases(today: datetime.date) -> QuerySet[Case]:
    """Closed cases whose retention period has run out."""
    return Case.objects.filter(
        submission__status=Submission.Status.CLOSED, purge_after__lte=today
    ).select_related("submission")


def first_decision_times() -> dict[Any, datetime.datetime]:
    """Submission id → when its first Bescheid was recorded, for the processing-time figures
    (no personal data)."""
    times: dict[Any, datetime.datetime] = {}
    for submission_id, created_at in Decision.objects.order_by("created_at").values_list(
        "case__submission_id", "created_at"
    ):
        times.setdefault(submission_id, created_at)
    return times


# --- the Bescheid ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bescheid:
    """What a generated Bescheid says (§ 37 ThürVwVfG: issuing authority, addressee; § 39:
    reasons; § 58 VwGO: the Rechtsbehelfsbelehrung), for the preview and the PDF alike."""

    issuer: str
    issuer_address_lines: tuple[str, ...]
    issuer_city: str
    addressee: str
    date: datetime.date
    vorgangsnummer: str
    service_name: str
    received: datetime.date | None
    outcome: str
    outcome_label: str
    text: str
    reasons: str
    rechtsbehelfsbelehrung: str


def bescheid_content(
    case: Case, *, outcome: str, addressee: str, text: str, reasons: str
) -> Bescheid:
    """The Bescheid of `case` with the Rechtsbehelfsbelehrung of its service as the issuing
    authority words it (catalogue text, replaced by the authority's own where it has one)."""
    from verbund.catalogue import queries as catalogue_queries

    submission = case.submission
    authority = submission.authority
    street = authority.postal_street
    town = " ".join(p for p in (authority.postal_code, authority.postal_city) if p)
    address = ", ".join(p for p in (street, town) if p)
    texts = catalogue_queries.texts_for(submission.service, authority)
    with translation.override("de"):  # the Bescheid is German whatever the clerk's language
        label = str(dict(Decision.Outcome.choices).get(outcome, outcome))
    return Bescheid(
        issuer=authority.name,
        issuer_address_lines=tuple(p for p in (street, town) if p),
        issuer_city=authority.postal_city or authority.name,
        addressee=addressee.strip(),
        date=timezone.localdate(),
        vorgangsnummer=str(submission.vorgangsnummer),
        service_name=submission.service.name,
        received=timezone.localdate(submission.released_at) if submission.released_at else None,
        outcome=outcome,
        outcome_label=label,
        text=text.strip(),
        reasons=reasons.strip(),
        rechtsbehelfsbelehrung=rules.fill_rechtsbehelfsbelehrung(
            texts.rechtsbehelfsbelehrung, authority=authority.name, address=address
        ),
    )


@dataclass(frozen=True)
class HistoryEvent:
    at: datetime.datetime
    text: str
    actor: str


def readable_history(case: Case) -> list[HistoryEvent]:
    """The case's audit trail as sentences, with the acting person's name (or the platform)."""
    events = []
    for entry in history(case).select_related("actor"):
        if entry.actor is not None:
            who = entry.actor.get_full_name() or entry.actor.get_username()
        elif entry.actor_label in ("system", "", "test"):
            who = _("Plattform")
        elif entry.actor_label == "postfach":
            who = _("antragstellende Person")
        else:
            who = entry.actor_label
        events.append(
            HistoryEvent(
                at=entry.at,
                text=rules.describe_event(entry.action, entry.details, entry.after),
                actor=who,
            )
        )
    return events


def forward_target_groups(case: Case, q: str = "") -> list[tuple[str, list[Authority]]]:
    """The forwarding targets grouped by Kreis (Land authorities first), each group and its
    authorities sorted by name; `q` keeps those whose name or Kreis contains it."""
    groups: dict[str, list[Authority]] = {}
    text = q.strip().casefold()
    land = _("Landes- und Bundesbehörden")
    # Only what the page shows: some 300 authorities on every case page (decision 0031).
    shown = ("name", "slug", "gebiet__level", "gebiet__name", "gebiet__kreis__name")
    for authority in forward_targets(case).select_related("gebiet__kreis").only(*shown):
        gebiet = authority.gebiet
        if gebiet is None or gebiet.level in ("land", "bund", "regierungsbezirk"):
            group = land
        elif gebiet.level == "kreis":
            group = gebiet.name
        else:
            group = gebiet.kreis.name if gebiet.kreis else gebiet.name
        if text and text not in authority.name.casefold() and text not in group.casefold():
            continue
        groups.setdefault(group, []).append(authority)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] != land, kv[0].casefold()))
    return [(name, sorted(items, key=lambda a: a.name.casefold())) for name, items in ordered]


def case_of_submission(submission_id: Any) -> Case | None:
    """The back-office case of a released submission, for a domain that links its own
    records to submissions (cooperation's funding applications); None if there is none."""
    return Case.objects.select_related("submission").filter(pk=submission_id).first()
