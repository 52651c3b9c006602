"""Reads of the open-data catalogue. The public sees published datasets; staff with a
publishing role see their own authorities' datasets, everyone else gets 404."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.storage import Storage, storages
from django.db.models import Count, Prefetch, QuerySet, Sum

from verbund.authorities.queries import (
    all_authorities,
    get_authority_for_staff_or_404,
    memberships_of,
)
from verbund.authorities.types import Authority, StaffRole
from verbund.core.errors import NotFound
from verbund.opendata.models import Dataset, DatasetStatus, Distribution

User = AbstractBaseUser | AnonymousUser

# Publishing is a lead's or an authority administrator's decision (DR 0017).
PUBLISHING_ROLES = (StaffRole.LEAD, StaffRole.ADMIN)


def dataset_storage() -> Storage:
    return storages["datasets"]


def published_datasets() -> QuerySet[Dataset]:
    """Published datasets with what the export and the pages show, in a stable order."""
    return (
        Dataset.objects.filter(status=DatasetStatus.PUBLISHED)
        .select_related("authority", "authority__gebiet", "gebiet")
        .prefetch_related(
            Prefetch("distributions", queryset=Distribution.objects.order_by("position", "pk"))
        )
        .order_by("name")
    )


def published_rows(
    keys: Iterable[Any], fields: Iterable[str], distribution_fields: Iterable[str]
) -> tuple[dict[Any, dict[str, Any]], dict[Any, list[dict[str, Any]]]]:
    """The published datasets among `keys` as plain rows of `fields` (joined columns such as
    `authority__slug` allowed) by key, and their distributions as rows of
    `distribution_fields` by dataset key, in their order (position, key): two queries
    however many keys, no model instances (the CKAN API's pages of 100 datasets).

    Both queries select by key alone and the status is checked here: with `status = …` in
    the same WHERE, SQLite (no statistics) walks an index of every published dataset
    instead of looking up the keys (100 ms instead of 2 ms at 50,000), for the datasets and
    again for a join of the distributions to their dataset."""
    found = Dataset.objects.filter(pk__in=keys).order_by().values("id", "status", *fields)
    rows = {row["id"]: row for row in found if row["status"] == DatasetStatus.PUBLISHED}
    distributions: dict[Any, list[dict[str, Any]]] = {key: [] for key in rows}
    ordered = (
        Distribution.objects.filter(dataset_id__in=list(rows))
        .order_by("dataset_id", "position", "pk")
        .values("dataset_id", *distribution_fields)
    )
    for distribution in ordered:
        distributions[distribution["dataset_id"]].append(distribution)
    return rows, distributions


def get_published_dataset(name: str) -> Dataset:
    dataset = published_datasets().filter(name=name).first()
    if dataset is None:
        raise NotFound(f"Es gibt keinen Datensatz „{name}“.", code="not_found")
    return dataset


def publishing_authority_for_staff_or_404(user: User, slug: str) -> Authority:
    return get_authority_for_staff_or_404(user, slug, roles=PUBLISHING_ROLES)


def publishing_authorities(user: User) -> QuerySet[Authority]:
    ids = memberships_of(user).filter(role__in=PUBLISHING_ROLES).values("authority_id")
    return all_authorities().filter(pk__in=ids).order_by("name")


def get_dataset_for_publisher_or_404(user: User, pk: Any) -> Dataset:
    """A dataset of an authority where the user may publish; NotFound otherwise."""
    try:
        key = uuid.UUID(str(pk))
    except ValueError:
        raise NotFound("Nicht gefunden.", code="not_found") from None
    dataset = (
        Dataset.objects.filter(pk=key, authority__in=publishing_authorities(user))
        .select_related("authority")
        .first()
    )
    if dataset is None:
        raise NotFound("Nicht gefunden.", code="not_found")
    return dataset


def get_distribution_for_publisher_or_404(user: User, pk: Any) -> Distribution:
    try:
        key = uuid.UUID(str(pk))
    except ValueError:
        raise NotFound("Nicht gefunden.", code="not_found") from None
    distribution = (
        Distribution.objects.filter(pk=key, dataset__authority__in=publishing_authorities(user))
        .select_related("dataset", "dataset__authority")
        .first()
    )
    if distribution is None:
        raise NotFound("Nicht gefunden.", code="not_found")
    return distribution


def get_published_file(dataset_name: str, distribution_id: Any) -> Distribution:
    """An uploaded file of a published dataset (for the public download)."""
    try:
        key = uuid.UUID(str(distribution_id))
    except ValueError:
        raise NotFound("Nicht gefunden.", code="not_found") from None
    distribution = (
        Distribution.objects.filter(
            pk=key,
            dataset__name=dataset_name,
            dataset__status=DatasetStatus.PUBLISHED,
        )
        .exclude(storage_name="")
        .first()
    )
    if distribution is None:
        raise NotFound("Nicht gefunden.", code="not_found")
    return distribution


# --- usage metering (read by costs) ---------------------------------------------------------


def datasets_published_per_authority(
    start: datetime.datetime, end: datetime.datetime
) -> dict[int, int]:
    """Datasets each authority published (dct:issued) in [start, end) that are published."""
    rows = (
        Dataset.objects.filter(status=DatasetStatus.PUBLISHED, issued__gte=start, issued__lt=end)
        .values("authority_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["authority_id"]: r["n"] for r in rows}


def distribution_bytes_per_authority(end: datetime.datetime) -> dict[int, int]:
    """Bytes of the files in the platform's storage of each authority's datasets, uploaded
    before `end` (links to files elsewhere take no storage)."""
    rows = (
        Distribution.objects.filter(created_at__lt=end)
        .exclude(storage_name="")
        .values("dataset__authority_id")
        .annotate(n=Sum("byte_size"))
        .order_by()
    )
    return {r["dataset__authority_id"]: int(r["n"] or 0) for r in rows}


def dataset_of_authority(authority: Authority, name: str) -> Dataset | None:
    """The authority's dataset with this name (any status), for publishers that update their
    datasets by name, such as the platform's own figures."""
    return Dataset.objects.filter(authority=authority, name=name).first()
