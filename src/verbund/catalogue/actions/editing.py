"""Editorial changes: services, Lebenslagen, authorities' own texts, and the search index."""

from __future__ import annotations

from django.db import transaction

from verbund.authorities.types import Authority
from verbund.catalogue import indexing
from verbund.catalogue.models import (
    OVERRIDABLE_FIELDS,
    AuthorityServiceText,
    Lebenslage,
    Service,
)
from verbund.core.audit import Actor, record_audit, snapshot, stored_snapshot


@transaction.atomic
def save_service(*, service: Service, actor: Actor) -> Service:
    """Store an editor's change to a service and refresh its search entry."""
    before = stored_snapshot(service)
    service.full_clean()
    service.save()
    indexing.reindex_services([service.pk])
    record_audit(
        action="catalogue.service_saved" if before else "catalogue.service_created",
        actor=actor,
        obj=service,
        before=before,
        after=snapshot(service),
    )
    return service


@transaction.atomic
def save_lebenslage(*, lebenslage: Lebenslage, actor: Actor) -> Lebenslage:
    before = stored_snapshot(lebenslage, exclude=("services",))
    lebenslage.save()
    indexing.reindex_services(lebenslage.links.values_list("service_id", flat=True))
    record_audit(
        action="catalogue.lebenslage_saved",
        actor=actor,
        obj=lebenslage,
        before=before,
        after=snapshot(lebenslage, exclude=("services",)),
    )
    return lebenslage


@transaction.atomic
def relink_lebenslage(*, lebenslage: Lebenslage, actor: Actor) -> None:
    """After an editor changed which services belong to a life situation (and in which
    order), refresh the search entries of the whole catalogue that links to it."""
    indexing.rebuild_index()
    record_audit(
        action="catalogue.lebenslage_relinked",
        actor=actor,
        obj=lebenslage,
        services=list(
            lebenslage.links.order_by("position").values_list("service__slug", flat=True)
        ),
    )


@transaction.atomic
def save_authority_text(*, text: AuthorityServiceText, actor: Actor) -> AuthorityServiceText:
    """Store an authority's own text for a service (it replaces the Land's text for the
    authority's area, field by field)."""
    before = stored_snapshot(text)
    text.full_clean()
    text.save()
    record_audit(
        action="catalogue.authority_text_saved",
        actor=actor,
        obj=text,
        before=before,
        after=snapshot(text),
        fields=[f for f in OVERRIDABLE_FIELDS if getattr(text, f)],
    )
    return text


@transaction.atomic
def delete_authority_text(*, text: AuthorityServiceText, actor: Actor) -> None:
    before = snapshot(text)
    record_audit(action="catalogue.authority_text_deleted", actor=actor, obj=text, before=before)
    text.delete()


@transaction.atomic
def rebuild_search_index(*, actor: Actor) -> dict[str, int]:
    counts = indexing.rebuild_index()
    record_audit(
        action="catalogue.search_index_rebuilt",
        actor=actor,
        object_type="catalogue.searchentry",
        details=counts,
    )
    return counts


def ensure_search_index(*, actor: Actor) -> dict[str, int] | None:
    """Rebuild the index if another release's analyser built it (run after `migrate`, so an
    upgrade that changes stemming or the thesaurus never leaves stale stems behind);
    None when it is current. The stored embeddings are reused, so this takes seconds."""
    with transaction.atomic():
        if indexing.index_is_current():
            return None
        return rebuild_search_index(actor=actor)


@transaction.atomic
def set_text_field(
    *, service: Service, authority: Authority | None, field_name: str, value: str, actor: Actor
) -> None:
    """Publish one reviewed text field: the Land's base text (`authority` None) or the
    authority's own text for its area (an empty value falls back to the Land's)."""
    if field_name not in OVERRIDABLE_FIELDS:
        raise ValueError(field_name)
    if authority is None:
        setattr(service, field_name, value)
        save_service(service=service, actor=actor)
        return
    text = AuthorityServiceText.objects.filter(service=service, authority=authority).first()
    if text is None:
        text = AuthorityServiceText(service=service, authority=authority)
    setattr(text, field_name, value)
    save_authority_text(text=text, actor=actor)
