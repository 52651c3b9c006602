"""The package, organisation and group dictionaries of the CKAN-compatible Action API
(`ckan.py`), in the shapes of CKAN 2.10.

A package is built from plain rows (`queries.published_rows`): one query for the datasets
with publisher and area, one for all their distributions, whatever the page's size; no model
instances, as a harvester's page of 100 packages is most of package_search's time
(decision 0032).
"""

from __future__ import annotations

from typing import Any

from verbund.authorities.types import Authority
from verbund.opendata import rules
from verbund.opendata.dcat import Urls
from verbund.opendata.queries import published_rows


def _iso(value: Any) -> str | None:
    return value.replace(tzinfo=None).isoformat() if value is not None else None


def licence_id(code: str) -> str:
    return rules.licence_uri(code)


def organization_dict(authority: Authority, *, package_count: int | None = None) -> dict[str, Any]:
    data = _organization(authority.pk, authority.slug, authority.name, authority.created_at)
    if package_count is not None:
        data["package_count"] = package_count
    return data


def _organization(key: int, slug: str, name: str, created: Any) -> dict[str, Any]:
    return {
        "id": str(key),
        "name": slug,
        "title": name,
        "display_name": name,
        "type": "organization",
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "created": _iso(created),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def group_dict(code: str, *, package_count: int | None = None) -> dict[str, Any]:
    term = rules.THEMES[code]
    data: dict[str, Any] = {
        "id": code.lower(),
        "name": code.lower(),
        "title": term.de,
        "display_name": term.de,
        "description": term.en,
        "type": "group",
        "image_url": "",
        "image_display_url": "",
        "is_organization": False,
        "approval_status": "approved",
        "state": "active",
    }
    if package_count is not None:
        data["package_count"] = package_count
    return data


DATASET_COLUMNS = (  # besides the key
    "name",
    "title",
    "description",
    "keywords",
    "themes",
    "licence",
    "contact_name",
    "contact_email",
    "landing_page",
    "geocoding_uri",
    "geocoding_level_uri",
    "temporal_start",
    "temporal_end",
    "accrual_periodicity",
    "issued",
    "modified",
    "identifier",
    "source_uri",
    "created_at",
    "updated_at",
    "authority_id",
    "authority__slug",
    "authority__name",
    "authority__created_at",
    "gebiet__ars",
    "gebiet__level",
)
DISTRIBUTION_COLUMNS = (  # besides the dataset's key
    "id",
    "title",
    "description",
    "access_url",
    "download_url",
    "storage_name",
    "format",
    "media_type",
    "byte_size",
    "checksum",
    "licence",
    "created_at",
    "updated_at",
)


def package_dicts(keys: list[Any], urls: Urls) -> list[dict[str, Any]]:
    """The CKAN packages of the published datasets `keys`, in that order (absent keys are
    left out), from two queries however many: the dataset rows with publisher and area, then
    all their distributions. Plain rows, no model instances: a harvester's page of 100
    packages is most of package_search's time (decision 0032)."""
    rows, distributions = published_rows(keys, DATASET_COLUMNS, DISTRIBUTION_COLUMNS)
    return [package_dict(rows[key], distributions[key], urls) for key in keys if key in rows]


def package_dict(
    dataset: dict[str, Any], distributions: list[dict[str, Any]], urls: Urls
) -> dict[str, Any]:
    """One CKAN 2.10 package from a row of `DATASET_COLUMNS` and its distributions' rows of
    `DISTRIBUTION_COLUMNS` (in their order)."""
    key, name, code = str(dataset["id"]), dataset["name"], dataset["licence"]
    licence = rules.LICENCES.get(code)
    resources = []
    for position, distribution in enumerate(distributions):
        is_file = bool(distribution["storage_name"])
        url = (
            urls.download_uri(name, distribution["id"])
            if is_file
            else distribution["download_url"] or distribution["access_url"]
        )
        checksum = distribution["checksum"]
        resources.append(
            {
                "id": str(distribution["id"]),
                "package_id": key,
                "name": distribution["title"],
                "description": distribution["description"],
                "url": url,
                "access_url": distribution["access_url"] or url,
                "format": distribution["format"],
                "mimetype": distribution["media_type"] or None,
                "size": distribution["byte_size"],
                "hash": checksum,
                "hash_algorithm": "sha256" if checksum else "",
                "license": licence_id(distribution["licence"] or code),
                "created": _iso(distribution["created_at"]),
                "last_modified": _iso(distribution["updated_at"]),
                "position": position,
                "state": "active",
                "url_type": "upload" if is_file else None,
                "resource_type": None,
            }
        )
    uri = urls.dataset_uri(name, dataset["source_uri"])
    geocoding, level = _geocoding(dataset)
    periodicity, start, end = (
        dataset["accrual_periodicity"],
        dataset["temporal_start"],
        dataset["temporal_end"],
    )
    extras = {
        "identifier": dataset["identifier"] or uri,
        "uri": uri,
        "issued": _iso(dataset["issued"]),
        "modified": _iso(dataset["modified"]),
        "frequency": rules.frequency_uri(periodicity) if periodicity else None,
        "temporal_start": start.isoformat() if start else None,
        "temporal_end": end.isoformat() if end else None,
        "politicalGeocodingURI": geocoding,
        "politicalGeocodingLevelURI": level,
        "contact_name": dataset["contact_name"],
        "contact_email": dataset["contact_email"],
    }
    tags = [
        {"id": k, "name": k, "display_name": k, "state": "active", "vocabulary_id": None}
        for k in dataset["keywords"]
    ]
    organization = _organization(
        dataset["authority_id"],
        dataset["authority__slug"],
        dataset["authority__name"],
        dataset["authority__created_at"],
    )
    return {
        "id": key,
        "name": name,
        "title": dataset["title"],
        "notes": dataset["description"],
        "type": "dataset",
        "state": "active",
        "private": False,
        "author": organization["title"],
        "author_email": None,
        "maintainer": dataset["contact_name"] or None,
        "maintainer_email": dataset["contact_email"] or None,
        "license_id": licence_id(code),
        "license_title": licence.de if licence else code,
        "license_url": rules.LICENCE_URLS.get(code, ""),
        "isopen": code in rules.OPEN_LICENCES,
        "url": dataset["landing_page"] or urls.dataset_page_uri(name),
        "version": None,
        "metadata_created": _iso(dataset["created_at"]),
        "metadata_modified": _iso(dataset["modified"] or dataset["updated_at"]),
        "creator_user_id": None,
        "owner_org": organization["id"],
        "organization": organization,
        "num_resources": len(resources),
        "num_tags": len(tags),
        "resources": resources,
        "tags": tags,
        "groups": [group_dict(t) for t in dataset["themes"] if t in rules.THEMES],
        "extras": [{"key": k, "value": v} for k, v in extras.items() if v],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


def _geocoding(dataset: dict[str, Any]) -> tuple[str, str]:
    if dataset["gebiet__ars"] is not None:
        return (
            rules.geocoding_uri(dataset["gebiet__ars"], dataset["gebiet__level"]),
            rules.level_uri(dataset["gebiet__level"]),
        )
    return dataset["geocoding_uri"], dataset["geocoding_level_uri"]
