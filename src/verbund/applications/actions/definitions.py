"""Form definitions: every change a new version, published versions never modified."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.applications import sealing
from verbund.applications.formschema import parse_form, unresolved_codelists
from verbund.applications.models import (
    FormDefinition,
    FormVersion,
)
from verbund.core.audit import Actor, record_audit
from verbund.core.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from verbund.catalogue.models import Service


def schema_hash(schema: dict[str, Any]) -> str:
    return hashlib.sha256(sealing.canonical_json(schema)).hexdigest()


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
