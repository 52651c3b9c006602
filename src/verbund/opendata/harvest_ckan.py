"""Harvesting a CKAN Action API: the packages of `package_search` page by page (`rows`,
`start`), or, where a portal offers no search, `package_list` and `package_show` for each,
read into the same Records the DCAT harvester stores (see harvest.py).

The package dictionaries are CKAN 2.x's with the extras of ckanext-dcat and ckanext-dcatde
(DCAT-AP.de): `issued`, `modified`, `identifier`, `frequency`, `temporal_start`,
`temporal_end`, `contact_name`, `contact_email`, `politicalGeocodingURI`,
`politicalGeocodingLevelURI`; a package's key in the source is its CKAN `id`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from verbund.core.errors import InvalidSourceFile
from verbund.opendata import rules
from verbund.opendata.harvest import (
    Entry,
    Record,
    fetch,
    geocoding,
    licence_code,
    parse_date,
    parse_datetime,
)

API_PATH = re.compile(r"^(?P<site>.*?)(?P<api>/api/(?:3/)?action)(?:/.*)?$")
# Licence ids of CKAN's default list and of GovData's older list, as DCAT-AP.de codes
LICENCE_IDS = {
    "dl-de-by-2.0": "dl-by-de/2.0",
    "dl-de-zero-2.0": "dl-zero-de/2.0",
    "cc-by": "cc-by/4.0",
    "cc-by-4.0": "cc-by/4.0",
    "cc-by-sa": "cc-by-sa/4.0",
    "cc-by-sa-4.0": "cc-by-sa/4.0",
    "cc-zero": "cc-zero",
    "cc0-1.0": "cc-zero",
    "odc-odbl": "odbl",
    "officialwork": "officialWork",
}
HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


class ActionFailed(Exception):
    """The API answered, but not with a successful CKAN action (status, error message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def read_packages(url: str) -> list[Entry]:
    """Every package the API lists (filtered by the source address's `fq`), one Entry each,
    each key once."""
    site, api, fq = split_source(url)
    try:
        entries = [package_entry(site, raw, i) for i, raw in enumerate(search_packages(api, fq))]
    except ActionFailed as exc:
        if exc.status not in {400, 403, 404, 405} or fq:
            raise InvalidSourceFile(f"{api}/package_search: {exc}") from None
        entries = listed_packages(site, api)
    unique: dict[str, Entry] = {}
    for entry in entries:
        unique.setdefault(entry.key, entry)
    return list(unique.values())


def split_source(url: str) -> tuple[str, str, str]:
    """The site, the Action API's address and the filter query of a source address."""
    parts = urlsplit(url)
    match = API_PATH.match(parts.path)
    path = (match["site"] + match["api"]) if match else parts.path.rstrip("/") + "/api/3/action"
    site = f"{parts.scheme}://{parts.netloc}{match['site'] if match else parts.path.rstrip('/')}"
    fq = parse_qs(parts.query).get("fq", [""])[0]
    return site, f"{parts.scheme}://{parts.netloc}{path}", fq


def call_action(api: str, action: str, params: dict[str, str]) -> Any:
    """The `result` of one action; ActionFailed when the API refuses it."""
    status, body = fetch(f"{api}/{action}", accept="application/json", params=params)
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "success" not in answer:
        if status >= 400:
            raise ActionFailed(status, f"Status {status}, keine CKAN-Antwort")
        raise InvalidSourceFile(f"{api}/{action}: Die Antwort ist keine CKAN-Antwort (JSON).")
    if answer["success"] is not True:
        error = answer.get("error")
        message = error.get("message", "") if isinstance(error, dict) else str(error)
        raise ActionFailed(status if status >= 400 else 409, f"Status {status}: {message}")
    return answer.get("result")


def search_packages(api: str, fq: str) -> list[Any]:
    """All packages of `package_search`, page by page, sorted by name so that pages do
    not overlap."""
    rows = settings.VERBUND_HARVEST_CKAN_ROWS
    packages: list[Any] = []
    while True:
        params = {"rows": str(rows), "start": str(len(packages)), "sort": "name asc"}
        if fq:
            params["fq"] = fq
        result = call_action(api, "package_search", params)
        page = result.get("results") if isinstance(result, dict) else None
        if not isinstance(page, list) or not isinstance(result.get("count"), int):
            raise InvalidSourceFile(f"{api}/package_search: Antwort ohne count und results.")
        packages.extend(page)
        if not page or len(packages) >= result["count"]:
            return packages


def listed_packages(site: str, api: str) -> list[Entry]:
    """`package_list`, then `package_show` for each name; a package that cannot be shown is
    reported under its name."""
    try:
        names = call_action(api, "package_list", {})
    except ActionFailed as exc:
        raise InvalidSourceFile(f"{api}/package_list: {exc}") from None
    if not isinstance(names, list):
        raise InvalidSourceFile(f"{api}/package_list: Die Antwort ist keine Liste.")
    entries: list[Entry] = []
    for name in names:
        try:
            package = call_action(api, "package_show", {"id": name})
            entries.append(package_entry(site, package, len(entries)))
        except ActionFailed as exc:
            entries.append(Entry(f"{site}/dataset/{name}", error=f"package_show: {exc}"))
    return entries


def package_entry(site: str, package: Any, position: int) -> Entry:
    """The Entry of a package; one without an id is reported by its position in the answer."""
    unnamed = f"{site}/dataset/ (Paket Nr. {position + 1})"
    if not isinstance(package, dict):
        return Entry(unnamed, error="Das Paket ist kein JSON-Objekt.")
    key = _str(package.get("id")) or _str(package.get("name"))
    if not key:
        return Entry(unnamed, error="Das Paket hat weder id noch name.")
    uri = f"{site}/dataset/{key}"
    try:
        return Entry(uri, record=read_package(package, uri=uri))
    except ValueError as exc:
        return Entry(uri, error=str(exc))


# --- reading one package ------------------------------------------------------------


def read_package(package: dict[str, Any], *, uri: str) -> Record:
    """One CKAN package; raises ValueError with a German message when it cannot be used."""
    warnings: list[str] = []
    extras = read_extras(package.get("extras"))
    title = _str(package.get("title")) or _str(package.get("name"))
    if not title:
        raise ValueError("Das Paket hat keinen Titel (title).")
    description = _str(package.get("notes"))
    if not description:
        warnings.append("Keine Beschreibung (notes); der Titel steht an ihrer Stelle.")
        description = title
    resources = package.get("resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise ValueError("Die Ressourcen (resources) sind keine Liste von Objekten.")
    licence = ckan_licence(_str(package.get("license_id")))
    if not licence:
        warnings.append("Keine bekannte Lizenz (license_id); ohne Lizenz übernommen.")
    distributions = [read_resource(r, i, warnings) for i, r in enumerate(resources)]
    for d in distributions:
        if d["licence"] == licence:
            d["licence"] = ""
    contact_email = _str(package.get("maintainer_email")) or extras.get("contact_email", "")
    landing = _str(package.get("url"))
    values = {
        "title": title[:300],
        "description": description,
        "keywords": read_tags(package.get("tags")),
        "themes": read_themes(package.get("groups"), extras.get("theme", "")),
        "licence": licence,
        "contact_name": (_str(package.get("maintainer")) or extras.get("contact_name", ""))[:200],
        "contact_email": contact_email[:254] if "@" in contact_email else "",
        "landing_page": landing[:500] if landing.startswith(("http://", "https://")) else "",
        "geocoding_uri": geocoding(first_of(extras.get("politicalGeocodingURI", ""))),
        "geocoding_level_uri": geocoding(extras.get("politicalGeocodingLevelURI", "")),
        "temporal_start": parse_date(extras.get("temporal_start", ""), warnings, "Zeitraum von"),
        "temporal_end": parse_date(extras.get("temporal_end", ""), warnings, "Zeitraum bis"),
        "accrual_periodicity": frequency(extras.get("frequency", "")),
        "issued": parse_datetime(extras.get("issued", ""), warnings, "issued"),
        "modified": parse_datetime(
            extras.get("modified") or _str(package.get("metadata_modified")),
            warnings,
            "modified",
        ),
        "identifier": (extras.get("identifier") or extras.get("guid") or uri)[:500],
    }
    return Record(uri=uri, values=values, distributions=distributions, warnings=warnings)


def read_resource(resource: dict[str, Any], position: int, warnings: list[str]) -> dict[str, Any]:
    url = _str(resource.get("url"))
    access = _str(resource.get("access_url")) or url
    if not access:
        warnings.append(f"Ressource {resource.get('id', position)}: keine url.")
    size_text = _str(resource.get("size"))
    try:
        size: int | None = int(float(size_text)) if size_text else None
    except ValueError:
        warnings.append(
            f"Ressource {resource.get('id', position)}: size „{size_text}“ ist keine Zahl."
        )
        size = None
    media_type = re.sub(
        r"^https?://www\.iana\.org/assignments/media-types/", "", _str(resource.get("mimetype"))
    )
    fmt = _str(resource.get("format"))
    return {
        "uri": _str(resource.get("uri")) or _str(resource.get("id")),
        "title": _str(resource.get("name"))[:300],
        "description": _str(resource.get("description")),
        "access_url": access[:1000],
        "download_url": _str(resource.get("download_url"))[:1000],
        "format": rules.format_code(fmt) if fmt else "",
        "media_type": media_type[:120],
        "byte_size": size,
        "checksum": checksum(resource),
        "licence": ckan_licence(_str(resource.get("license"))),
        "position": position,
    }


def read_extras(extras: Any) -> dict[str, str]:
    """CKAN's extras list `[{key, value}]` as a dict of strings."""
    if not isinstance(extras, list):
        return {}
    return {
        str(e["key"]): _str(e.get("value"))
        for e in extras
        if isinstance(e, dict) and isinstance(e.get("key"), str)
    }


def read_tags(tags: Any) -> list[str]:
    names = [t.get("name") if isinstance(t, dict) else t for t in tags or []]
    return sorted({str(n).strip()[:100] for n in names if isinstance(n, str) and n.strip()})


def read_themes(groups: Any, theme_extra: str) -> list[str]:
    """EU data themes from the groups (named by their codes, as GovData and Verbund do)
    and from ckanext-dcat's `theme` extra (a JSON list of theme URIs)."""
    codes = {str(g.get("name", "")).upper() for g in groups or [] if isinstance(g, dict)}
    codes |= {rules.code_from_uri(u, rules.THEME_SCHEME) for u in json_list(theme_extra)}
    return sorted(c for c in codes if c in rules.THEMES)


def ckan_licence(value: str) -> str:
    """The DCAT-AP.de code of a CKAN licence id (a DCAT-AP.de URI or a CKAN id)."""
    return LICENCE_IDS.get(value.lower(), "") or licence_code(value)


def frequency(value: str) -> str:
    code = rules.code_from_uri(value, rules.FREQUENCY_SCHEME) or value.upper()
    return code if code in rules.FREQUENCIES else ""


def checksum(resource: dict[str, Any]) -> str:
    """A SHA-256 `hash` (its algorithm named in `hash_algorithm` or its length telling)."""
    value = _str(resource.get("hash")).removeprefix("sha256:")
    algorithm = _str(resource.get("hash_algorithm")).lower()
    if HEX64.match(value) and (not algorithm or "sha256" in algorithm.replace("-", "")):
        return value.lower()
    return ""


def json_list(value: str) -> list[str]:
    """ckanext-dcat keeps multi-valued extras as JSON lists in a string."""
    if not value.startswith("["):
        return [value] if value else []
    try:
        parsed = json.loads(value)
    except ValueError:
        return []
    return [str(v) for v in parsed] if isinstance(parsed, list) else []


def first_of(value: str) -> str:
    values = json_list(value)
    return values[0] if values else ""


def _str(value: Any) -> str:
    return str(value).strip() if value is not None and not isinstance(value, dict | list) else ""
