"""Changes to the open-data catalogue: one atomic, audited function per change."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from verbund.authorities.types import Authority
from verbund.core.audit import Actor, record_audit, snapshot, stored_snapshot
from verbund.core.errors import Conflict, InvalidInput
from verbund.opendata import rules
from verbund.opendata.models import Dataset, DatasetStatus, Distribution
from verbund.opendata.queries import dataset_storage
from verbund.opendata.uploads import check_distribution_file

# Path segments below /daten/ that are not datasets
RESERVED_NAMES = {"katalog", "verwaltung"}
DATASET_FIELDS = (
    "title",
    "description",
    "keywords",
    "themes",
    "licence",
    "contact_name",
    "contact_email",
    "landing_page",
    "gebiet",
    "temporal_start",
    "temporal_end",
    "accrual_periodicity",
    "identifier",
)


def _validate(values: dict[str, Any]) -> None:
    unknown = [t for t in values.get("themes", []) if t not in rules.THEMES]
    if unknown:
        raise InvalidInput(f"Unbekannte Kategorie: {', '.join(unknown)}.", code="unknown_theme")
    if values.get("licence") and values["licence"] not in rules.LICENCES:
        raise InvalidInput(f"Unbekannte Lizenz: {values['licence']}.", code="unknown_licence")
    start, end = values.get("temporal_start"), values.get("temporal_end")
    if start and end and end < start:
        raise InvalidInput("Der Zeitraum endet vor seinem Beginn.", code="temporal_order")


@transaction.atomic
def create_dataset(*, authority: Authority, name: str = "", actor: Actor, **values: Any) -> Dataset:
    """A new draft dataset of the authority; its `name` is derived from the title if empty."""
    _validate(values)
    name = name or rules.slugify_name(values.get("title", ""))
    if name in RESERVED_NAMES or Dataset.objects.filter(name=name).exists():
        name = rules.slugify_name(name, suffix=uuid.uuid4().hex[:6])
    dataset = Dataset(authority=authority, name=name)
    for field, value in values.items():
        if field not in DATASET_FIELDS:
            raise TypeError(f"unknown dataset field {field}")
        setattr(dataset, field, value)
    dataset.save()
    record_audit(
        action="opendata.dataset_created", actor=actor, obj=dataset, after=snapshot(dataset)
    )
    return dataset


@transaction.atomic
def update_dataset(*, dataset: Dataset, actor: Actor, **values: Any) -> Dataset:
    _validate(values)
    before = stored_snapshot(dataset)
    for field, value in values.items():
        if field not in DATASET_FIELDS:
            raise TypeError(f"unknown dataset field {field}")
        setattr(dataset, field, value)
    if dataset.status == DatasetStatus.PUBLISHED:
        dataset.modified = timezone.now()
    dataset.save()
    record_audit(
        action="opendata.dataset_updated",
        actor=actor,
        obj=dataset,
        before=before,
        after=snapshot(dataset),
    )
    return dataset


@transaction.atomic
def publish_dataset(*, dataset: Dataset, actor: Actor) -> Dataset:
    """Publish: DCAT-AP.de needs a description and a licence, and data to fetch."""
    if not dataset.distributions.exists():
        raise Conflict(
            "Ein Datensatz braucht mindestens eine Distribution (Datei oder Adresse), "
            "bevor er veröffentlicht werden kann.",
            code="no_distribution",
        )
    now = timezone.now()
    dataset.status = DatasetStatus.PUBLISHED
    dataset.issued = dataset.issued or now
    dataset.modified = now
    dataset.save(update_fields=["status", "issued", "modified", "updated_at"])
    record_audit(action="opendata.dataset_published", actor=actor, obj=dataset)
    return dataset


@transaction.atomic
def withdraw_dataset(*, dataset: Dataset, actor: Actor) -> Dataset:
    dataset.status = DatasetStatus.DRAFT
    dataset.save(update_fields=["status", "updated_at"])
    record_audit(action="opendata.dataset_withdrawn", actor=actor, obj=dataset)
    return dataset


@transaction.atomic
def delete_dataset(*, dataset: Dataset, actor: Actor) -> None:
    before = snapshot(dataset)
    names = [d.storage_name for d in dataset.distributions.all() if d.storage_name]
    record_audit(action="opendata.dataset_deleted", actor=actor, obj=dataset, before=before)
    dataset.delete()

    def remove_files() -> None:
        for name in names:
            dataset_storage().delete(name)

    transaction.on_commit(remove_files)


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content: bytes


@transaction.atomic
def add_file_distribution(
    *,
    dataset: Dataset,
    upload: UploadedFile,
    format: str,
    title: str = "",
    actor: Actor,
) -> Distribution:
    """Check the file's content, store it in the platform's file storage with its SHA-256."""
    checked = check_distribution_file(
        filename=upload.filename, content=upload.content, format=format
    )
    checksum = hashlib.sha256(upload.content).hexdigest()
    distribution = Distribution(
        dataset=dataset,
        title=title or upload.filename,
        filename=upload.filename[:255],
        format=checked.format,
        media_type=checked.media_type,
        byte_size=len(upload.content),
        checksum=checksum,
        position=dataset.distributions.count(),
    )
    distribution.storage_name = dataset_storage().save(
        f"{dataset.pk}/{distribution.pk}", ContentFile(upload.content)
    )
    distribution.save()
    _touch(dataset)
    record_audit(
        action="opendata.distribution_added",
        actor=actor,
        obj=distribution,
        after=snapshot(distribution),
        scan_status=checked.scan_status,
    )
    return distribution


@transaction.atomic
def add_url_distribution(
    *, dataset: Dataset, access_url: str, format: str, title: str = "", actor: Actor
) -> Distribution:
    if not access_url.startswith(("https://", "http://")):
        raise InvalidInput("Die Adresse muss mit https:// beginnen.", code="invalid_url")
    code = rules.format_code(format) if format else ""
    distribution = Distribution.objects.create(
        dataset=dataset,
        title=title or access_url.rsplit("/", 1)[-1][:300],
        access_url=access_url,
        format=code,
        media_type=rules.FORMATS.get(code, ""),
        position=dataset.distributions.count(),
    )
    _touch(dataset)
    record_audit(
        action="opendata.distribution_added",
        actor=actor,
        obj=distribution,
        after=snapshot(distribution),
    )
    return distribution


@transaction.atomic
def remove_distribution(*, distribution: Distribution, actor: Actor) -> None:
    before = snapshot(distribution)
    name = distribution.storage_name
    record_audit(
        action="opendata.distribution_removed", actor=actor, obj=distribution, before=before
    )
    distribution.delete()
    _touch(distribution.dataset)
    if name:
        transaction.on_commit(lambda: dataset_storage().delete(name))


def _touch(dataset: Dataset) -> None:
    """After a distribution was added or removed: the format index, and `modified`."""
    dataset.index_formats()
    fields = ["format_index", "updated_at"]
    if dataset.status == DatasetStatus.PUBLISHED:
        dataset.modified = timezone.now()
        fields.append("modified")
    dataset.save(update_fields=fields)
