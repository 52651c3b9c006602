"""Shared services: the Land offers, members activate; their texts reviewed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from verbund.applications import queries as application_queries
from verbund.authorities.types import Authority
from verbund.catalogue import actions as catalogue_actions
from verbund.catalogue import queries as catalogue_queries
from verbund.catalogue.types import Service
from verbund.cooperation import queries, rules
from verbund.cooperation.actions.membership import _mark_reviewed, _user
from verbund.cooperation.models import (
    Activation,
    SharedService,
    TextRevision,
)
from verbund.core.audit import Actor, record_audit, snapshot
from verbund.core.errors import Conflict, InvalidInput
from verbund.gebiete.types import Gebiet


@transaction.atomic
def publish_shared_service(
    *, land: Gebiet, service: Service, actor: Actor, fee_set_locally: bool = False
) -> SharedService:
    """The Land offers the service's published online form for adoption by its authorities."""
    version = application_queries.published_version(service)
    if version is None:
        raise Conflict(
            f"Für „{service.name}“ gibt es kein veröffentlichtes Online-Formular.",
            code="no_published_form",
        )
    shared = SharedService.objects.select_for_update().filter(land=land, service=service).first()
    before = snapshot(shared) if shared is not None else None
    if shared is None:
        shared = SharedService(land=land, service=service, published_at=timezone.now())
    shared.form_version = version
    shared.fee_set_locally = fee_set_locally
    shared.save()
    record_audit(
        action="cooperation.service_published",
        actor=actor,
        obj=shared,
        before=before,
        after=snapshot(shared),
        service=service.slug,
    )
    return shared


@transaction.atomic
def activate_service(
    *,
    shared: SharedService,
    authority: Authority,
    contact: str,
    processing_days: int | None,
    actor: Actor,
    fee: Decimal | None = None,
) -> Activation:
    """A member authority offers the shared service in its area on its terms (or changes
    them); a paused activation is resumed by `resume_service`."""
    if queries.membership_state(authority) != rules.MEMBER:
        raise Conflict(
            "Nur Mitglieder des Verbunds können Online-Dienste freischalten; bitte zuerst "
            "die Kooperationsvereinbarung annehmen.",
            code="not_member",
        )
    errors = rules.activation_terms_errors(
        fee=fee,
        fee_set_locally=shared.fee_set_locally,
        contact=contact,
        processing_days=processing_days,
    )
    if errors:
        raise InvalidInput(" ".join(errors.values()), code="invalid_terms", fields=errors)
    assert processing_days is not None
    activation = (
        Activation.objects.select_for_update()
        .filter(shared_service=shared, authority=authority)
        .first()
    )
    before = snapshot(activation) if activation is not None else None
    if activation is None:
        activation = Activation(
            shared_service=shared,
            authority=authority,
            status=rules.ACTIVE,
            activated_at=timezone.now(),
        )
    activation.fee = fee
    activation.contact = contact.strip()[:200]
    activation.processing_days = processing_days
    activation.save()
    record_audit(
        action="cooperation.service_activated" if before is None else "cooperation.terms_changed",
        actor=actor,
        obj=activation,
        before=before,
        after=snapshot(activation),
        authority=authority.slug,
        service=shared.service.slug,
    )
    return activation


def _set_activation_status(activation: Activation, target: str, actor: Actor) -> Activation:
    locked = Activation.objects.select_for_update().get(pk=activation.pk)
    if not rules.can_change_activation(locked.status, target):
        raise Conflict(
            f"Der Online-Dienst ist bereits {locked.get_status_display()}.",
            code="activation_state",
        )
    before = snapshot(locked)
    locked.status = target
    locked.save(update_fields=["status", "updated_at"])
    record_audit(
        action=f"cooperation.service_{'paused' if target == rules.PAUSED else 'resumed'}",
        actor=actor,
        obj=locked,
        before=before,
        after=snapshot(locked),
        authority=locked.authority.slug,
    )
    return locked


@transaction.atomic
def pause_service(*, activation: Activation, actor: Actor) -> Activation:
    return _set_activation_status(activation, rules.PAUSED, actor)


@transaction.atomic
def resume_service(*, activation: Activation, actor: Actor) -> Activation:
    if queries.membership_state(activation.authority) != rules.MEMBER:
        raise Conflict("Nur Mitglieder des Verbunds bieten Online-Dienste an.", code="not_member")
    return _set_activation_status(activation, rules.ACTIVE, actor)


# --- service texts: draft → review → published ---------------------------------------------


@transaction.atomic
def draft_text(
    *,
    land: Gebiet,
    service: Any,
    field_name: str,
    text: str,
    actor: Actor,
    authority: Authority | None = None,
) -> TextRevision:
    """A new version of one text field, as a draft: the Land's base text, or (with
    `authority`) the authority's own text for its area."""
    if field_name not in rules.TEXT_FIELDS:
        raise InvalidInput("Dieses Textfeld gibt es nicht.", code="unknown_field")
    if len(text) > 20000:
        raise InvalidInput("Der Text ist zu lang (höchstens 20.000 Zeichen).", code="too_long")
    current = catalogue_queries.text_field(service, authority, field_name)
    if text.strip() == current.strip():
        raise InvalidInput("Der Text ist unverändert.", code="unchanged")
    last = (
        TextRevision.objects.filter(service=service, authority=authority, field_name=field_name)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    revision = TextRevision.objects.create(
        land=land,
        service=service,
        authority=authority,
        field_name=field_name,
        text=text.strip(),
        previous=current,
        version=(last or 0) + 1,
        author=_user(actor),
    )
    record_audit(
        action="cooperation.text_drafted", actor=actor, obj=revision, after=snapshot(revision)
    )
    return revision


@transaction.atomic
def submit_text_for_review(*, revision: TextRevision, actor: Actor) -> TextRevision:
    revision = TextRevision.objects.select_for_update().get(pk=revision.pk)
    if not rules.can_change_text(revision.state, rules.TEXT_REVIEW):
        raise Conflict("Dieser Text ist nicht mehr im Entwurf.", code="not_draft")
    revision.state = rules.TEXT_REVIEW
    revision.submitted_at = timezone.now()
    revision.save(update_fields=["state", "submitted_at", "updated_at"])
    record_audit(action="cooperation.text_submitted", actor=actor, obj=revision)
    return revision


@transaction.atomic
def review_text(
    *, revision: TextRevision, publish: bool, actor: Actor, note: str = ""
) -> TextRevision:
    """A second person publishes (the catalogue takes the text, audited there too) or
    rejects with a note. Refused when the published text changed since the draft."""
    revision = TextRevision.objects.select_for_update().get(pk=revision.pk)
    target = rules.TEXT_PUBLISHED if publish else rules.TEXT_REJECTED
    reviewer = _user(actor)
    if not rules.can_change_text(revision.state, target):
        raise Conflict("Dieser Text ist nicht in Prüfung.", code="not_in_review")
    if reviewer is None or reviewer.pk == revision.author_id:
        raise Conflict(
            "Einen Text prüft eine zweite Person, nicht wer ihn verfasst hat.",
            code="four_eyes",
        )
    if not publish and not note.strip():
        raise InvalidInput("Bitte begründen Sie die Zurückweisung.", code="reason_missing")
    if publish:
        current = catalogue_queries.text_field(
            revision.service, revision.authority, revision.field_name
        )
        if current != revision.previous:
            raise Conflict(
                "Der veröffentlichte Text hat sich seit dem Entwurf geändert; bitte neu entwerfen.",
                code="stale",
            )
        catalogue_actions.set_text_field(
            service=revision.service,
            authority=revision.authority,
            field_name=revision.field_name,
            value=revision.text,
            actor=actor,
        )
    _mark_reviewed(revision, target=target, reviewer=reviewer, note=note)
    record_audit(
        action="cooperation.text_published" if publish else "cooperation.text_rejected",
        actor=actor,
        obj=revision,
    )
    return revision
