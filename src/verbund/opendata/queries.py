"""Reads of the open-data catalogue. The public sees published datasets; staff with a
publishing role see their own authorities' datasets, everyone else gets 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.storage import Storage, storages
from django.db.models import Prefetch, QuerySet

from verbund.authorities.queries import get_authority_for_staff_or_404, memberships_of
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


def get_published_dataset(name: str) -> Dataset:
    dataset = published_datasets().filter(name=name).first()
    if dataset is None:
        raise NotFound(f"Es gibt keinen Datensatz „{name}“.", code="not_found")
    return dataset


def publishing_authority_for_staff_or_404(user: User, slug: str) -> Authority:
    return get_authority_for_staff_or_404(user, slug, roles=PUBLISHING_ROLES)


def publishing_authorities(user: User) -> QuerySet[Authority]:
    ids = memberships_of(user).filter(role__in=PUBLISHING_ROLES).values("authority_id")
    return Authority.objects.filter(pk__in=ids).order_by("name")


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
