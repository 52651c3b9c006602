"""The counts of a catalogue search (total and facets), cached per filter set and catalogue
generation (decision 0032, package_search at 50,000 datasets).

A search's page changes with `start` and `sort`, its counts do not: every page of the same
filters, and every visitor asking them, needs the same total and facet counts, which cost a
scan of all matching rows. They are kept in the cache under the filters and the generation
token of `core.page_cache`: every save or delete of a dataset, a distribution or an
authority replaces the token inside the writer's transaction (`watch` in `apps.py`), so a
published, changed or withdrawn dataset shows in the counts at once, on every app server.
The token is read first, the rows after it, so a cached entry never holds rows older than
its token.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, QuerySet

from verbund.core import page_cache
from verbund.opendata import rules
from verbund.opendata.models import Dataset

Counts = tuple[int, dict[str, Counter[str]]]
GROUPED = {
    "organization": ["authority__slug"],
    "license_id": ["licence"],
    "kreis": ["gebiet__kreis__key", "gebiet__level", "gebiet__key"],
}
INDEXES = {"groups": "theme_index", "res_format": "format_index", "tags": "keyword_index"}


def counted(datasets: QuerySet[Dataset], fields: list[str], limit: int) -> Counts:
    """The number of `datasets` and CKAN's facet counts over them, from the cache when the
    same filters were counted in this generation of the catalogue."""
    seconds = settings.VERBUND_PAGE_CACHE_SECONDS
    token = page_cache.current_token() if seconds > 0 else "None"
    if token.startswith("None"):  # no generation yet (a bulk load): nothing to key to
        return count_and_facets(datasets, fields, limit)
    query, params = datasets.order_by().values("pk").query.sql_with_params()
    spec = json.dumps([token, query, [str(p) for p in params], fields, limit])
    key = "ckan-counts:" + hashlib.sha256(spec.encode()).hexdigest()
    hit = cache.get(key)
    if hit is not None:
        total, pairs = hit
        return total, {field: Counter(dict(items)) for field, items in pairs}
    total, found = count_and_facets(datasets, fields, limit)
    pairs = [(field, list(counter.items())) for field, counter in found.items()]
    cache.set(key, (total, pairs), seconds)
    return total, found


def count_and_facets(datasets: QuerySet[Dataset], fields: list[str], limit: int) -> Counts:
    """The total and CKAN's facet counts (datasets per value, most frequent first).

    At most two grouped scans whatever the facets: publisher, licence and Kreis by the
    few values they take; themes, formats and keywords by their index strings (`|A|B|`),
    split here. Each matching dataset falls into exactly one group of a scan, so the total
    is the sum of a scan's groups, not a third scan (`COUNT`). Not one query per facet, nor
    a join to the distributions."""
    found: dict[str, Counter[str]] = {field: Counter() for field in fields}
    chosen = datasets.order_by()
    total: int | None = None
    grouped = [c for field in fields for c in GROUPED.get(field, [])]
    if grouped:
        total = 0
        for row in chosen.values(*grouped).annotate(n=Count("pk")):
            total += row["n"]
            _add_grouped(found, row)
    split = {field: column for field, column in INDEXES.items() if field in found}
    if split:
        total = 0
        for row in chosen.values(*split.values()).annotate(n=Count("pk")):
            total += row["n"]
            for field, column in split.items():
                values = {v for v in row[column].strip("|").split("|") if v}
                if field != "res_format":
                    values = {v.lower() for v in values}
                found[field].update(dict.fromkeys(values, row["n"]))
    if total is None:
        total = chosen.count()
    return total, {field: Counter(dict(c.most_common(limit))) for field, c in found.items()}


def _add_grouped(found: dict[str, Counter[str]], row: dict[str, Any]) -> None:
    if "organization" in found:
        found["organization"][row["authority__slug"]] += row["n"]
    if "license_id" in found:
        found["license_id"][rules.licence_uri(row["licence"])] += row["n"]
    if "kreis" in found:
        if row["gebiet__kreis__key"]:
            found["kreis"][row["gebiet__kreis__key"]] += row["n"]
        if row["gebiet__level"] == "kreis":
            found["kreis"][row["gebiet__key"]] += row["n"]
