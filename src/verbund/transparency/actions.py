"""Writes of the transparency domain: the aggregation run and the publication of the figures
as open data. Atomic and audited."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from verbund.authorities import queries as authority_queries
from verbund.core.audit import Actor, record_audit
from verbund.opendata import actions as opendata_actions
from verbund.opendata import queries as opendata_queries
from verbund.transparency.calculations import compute_figures
from verbund.transparency.models import AggregationRun, Figure

if TYPE_CHECKING:
    from verbund.gebiete.models import Gebiet


def digest_of(rows: list[dict[str, object]]) -> str:
    return hashlib.sha256(
        json.dumps(rows, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


@transaction.atomic
def aggregate_figures(*, land: Gebiet, actor: Actor) -> AggregationRun:
    """Count every figure of the Land anew from the records and replace the stored ones."""
    rows = [asdict(row) for row in compute_figures(land)]
    Figure.objects.filter(key__startswith=land.key).delete()
    Figure.objects.bulk_create([Figure(**row) for row in rows], batch_size=2000)
    run = AggregationRun.objects.create(
        computed_at=timezone.now(),
        land_key=land.key,
        figures=len(rows),
        source_digest=digest_of(rows),
    )
    record_audit(
        action="transparency.figures_aggregated",
        actor=actor,
        obj=run,
        figures=len(rows),
        digest=run.source_digest,
    )
    return run


def publish_figures(*, actor: Actor) -> list[Any]:
    """Create or update the platform's own datasets in the open-data catalogue, each with the
    current CSV as its one file distribution (through opendata's actions, so the catalogue,
    DCAT export and CKAN API see them like any dataset). Runs in one transaction."""
    from verbund.transparency.exports import TABLE_CSV, TABLES

    publisher = authority_queries.get_authority(settings.VERBUND_TRANSPARENCY_PUBLISHER)
    today = timezone.localdate()
    published = []
    with transaction.atomic():
        for table in TABLES:
            content = TABLE_CSV[table.name]().encode("utf-8")
            values: dict[str, Any] = {
                "title": str(table.title),
                "description": str(table.description),
                "keywords": list(table.keywords),
                "themes": ["GOVE"],
                "licence": "dl-zero-de/2.0",
                "accrual_periodicity": "MONTHLY",
                "temporal_end": today,
            }
            dataset = opendata_queries.dataset_of_authority(publisher, table.name)
            if dataset is None:
                dataset = opendata_actions.create_dataset(
                    authority=publisher, name=table.name, actor=actor, **values
                )
            else:
                dataset = opendata_actions.update_dataset(dataset=dataset, actor=actor, **values)
            for distribution in list(dataset.distributions.all()):
                opendata_actions.remove_distribution(distribution=distribution, actor=actor)
            opendata_actions.add_file_distribution(
                dataset=dataset,
                upload=opendata_actions.UploadedFile(filename=table.filename, content=content),
                format="CSV",
                title=table.filename,
                actor=actor,
            )
            if dataset.status != "veroeffentlicht":  # opendata DatasetStatus.PUBLISHED
                opendata_actions.publish_dataset(dataset=dataset, actor=actor)
            published.append(dataset)
    return published
