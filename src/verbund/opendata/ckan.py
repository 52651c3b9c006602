"""A CKAN-compatible, read-only Action API (`/api/3/action/<name>` and `/api/action/<name>`)
over the published catalogue, with the response shapes of CKAN 2.10, so that CKAN clients
and harvesters (ckanapi, GovData's ckanext-dcatde) work unchanged.

Every answer is `{"help", "success", "result"}`; a refusal is `{"help", "success": false,
"error": {"__type", "message", …}}` with CKAN's status codes (400, 403, 404, 409).
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority
from verbund.opendata import rules, search_counts
from verbund.opendata.ckan_packages import group_dict, licence_id, organization_dict, package_dicts
from verbund.opendata.dcat import Urls
from verbund.opendata.models import Dataset, DatasetStatus
from verbund.opendata.queries import published_datasets

CKAN_VERSION = "2.10.4"
MAX_ROWS = 1000
FACET_FIELDS = {"organization", "groups", "tags", "res_format", "license_id", "kreis"}
SORTS = {
    "metadata_modified": "modified",
    "metadata_created": "created_at",
    "name": "name",
    "title_string": "title",
    "title": "title",
    "score": "",
}


class ActionError(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error


def not_found(message: str = "Not found") -> ActionError:
    return ActionError(404, {"__type": "Not Found Error", "message": message})


def validation_error(**fields: str) -> ActionError:
    return ActionError(409, {"__type": "Validation Error", **{k: [v] for k, v in fields.items()}})


# --- search -------------------------------------------------------------------------

FQ_CLAUSE = re.compile(r"^(?P<neg>[-+]?)(?P<field>[\w.]+):(?P<value>.+)$")


def filter_query(datasets: QuerySet[Dataset], fq: str) -> QuerySet[Dataset]:
    """Solr filter clauses as CKAN clients send them: `field:value` or `field:"value"`,
    joined by spaces or AND, a leading `-` negates."""
    try:
        tokens = shlex.split(fq.replace("(", " ").replace(")", " "))
    except ValueError as exc:
        raise ActionError(
            409, {"__type": "Search Query Error", "message": f"Invalid filter query: {exc}"}
        ) from None
    for token in tokens:
        if token.upper() in {"AND", "+"}:
            continue
        match = FQ_CLAUSE.match(token)
        if match is None:
            raise ActionError(
                409,
                {"__type": "Search Query Error", "message": f"Invalid filter clause: {token}"},
            )
        condition = _condition(match["field"], match["value"].strip('"'))
        datasets = (
            datasets.exclude(condition) if match["neg"] == "-" else datasets.filter(condition)
        )
    return datasets


def _condition(field: str, value: str) -> Q:
    if value == "*":
        return Q()
    if field in {"organization", "owner_org"}:
        return Q(authority__slug=value) | Q(authority__pk=int(value) if value.isdigit() else -1)
    if field == "groups":
        return Q(theme_index__contains=f"|{value.upper()}|")
    if field == "tags":
        return Q(keyword_index__contains=f"|{value.lower()}|")
    if field == "res_format":
        return Q(format_index__contains=f"|{value.upper()}|")
    if field == "license_id":
        return Q(licence=rules.code_from_uri(value, rules.LICENCE_SCHEME) or value)
    if field == "name":
        return Q(name=value)
    if field == "kreis":  # Verbund's own facet: the Kreis of the spatial coverage, by its key
        return Q(gebiet__kreis__key=value) | Q(gebiet__level="kreis", gebiet__key=value)
    if field in {"id", "identifier"}:
        return Q(identifier=value) | Q(name=value)
    raise ActionError(
        409, {"__type": "Search Query Error", "message": f"Unknown filter field: {field}"}
    )


def text_query(datasets: QuerySet[Dataset], q: str) -> QuerySet[Dataset]:
    q = q.strip()
    if not q or q == "*:*":
        return datasets
    if FQ_CLAUSE.match(q) and not q.startswith(("http:", "https:")):
        return filter_query(datasets, q)
    for term in q.lower().split():
        datasets = datasets.filter(search_text__contains=term)
    return datasets


def order_by(sort: str) -> list[str]:
    fields: list[str] = []
    for part in sort.split(","):
        words = part.split()
        if not words:
            continue
        if words[0] not in SORTS or (len(words) > 1 and words[1] not in {"asc", "desc"}):
            raise ActionError(
                409, {"__type": "Search Query Error", "message": f"Invalid sort: {sort}"}
            )
        column = SORTS[words[0]]
        if column:
            fields.append(f"-{column}" if len(words) > 1 and words[1] == "desc" else column)
    # `name` last as the tie-breaker, once: `ORDER BY name, name` makes SQLite sort again
    return fields if {"name", "-name"} & set(fields) else [*fields, "name"]


def facets(datasets: QuerySet[Dataset], fields: list[str], limit: int) -> dict[str, Counter[str]]:
    """CKAN's facet counts (datasets per value, most frequent first) over `datasets`."""
    return search_counts.counted(datasets, fields, limit)[1]


def _facet_title(field: str, value: str) -> str:
    if field == "groups" and value.upper() in rules.THEMES:
        return rules.THEMES[value.upper()].de
    if field == "license_id":
        code = rules.code_from_uri(value, rules.LICENCE_SCHEME)
        return rules.LICENCES[code].de if code in rules.LICENCES else value
    return value


# --- actions ------------------------------------------------------------------------


# Larger offsets and limits than any catalogue holds mean "all" or "past the end"; beyond
# 64 bits the databases refuse them (SQLite: "integer overflow"), so they are capped here.
_LARGEST = 2**31 - 1


def _int(params: dict[str, Any], name: str, default: int, maximum: int | None = None) -> int:
    raw = params.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise validation_error(**{name: "Invalid integer"}) from None
    if value < 0:
        raise validation_error(**{name: "Must be a natural number"})
    return min(value, maximum if maximum is not None else _LARGEST)


def _bool(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    return value is True or str(value).lower() in {"true", "1", "yes"}


def _list(params: dict[str, Any], name: str) -> list[str]:
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        parsed = json.loads(str(value))
    except ValueError:
        return [str(value)]
    return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]


def package_list(params: dict[str, Any], urls: Urls) -> Any:
    names = published_datasets().values_list("name", flat=True)
    offset = _int(params, "offset", 0)
    limit = params.get("limit")
    if limit is not None:
        return list(names[offset : offset + _int(params, "limit", 0)])
    return list(names[offset:])


def _dataset_key(params: dict[str, Any]) -> Any:
    """The key of the published dataset named or identified by `id` (or `name_or_id`)."""
    key = str(params.get("id") or params.get("name_or_id") or "")
    if not key:
        raise validation_error(id="Missing value")
    keys = published_datasets().values_list("pk", flat=True)
    found = keys.filter(name=key).first()
    if found is None and re.fullmatch(r"[0-9a-fA-F-]{32,36}", key):
        found = keys.filter(pk=key).first()
    if found is None:
        raise not_found()
    return found


def package_show(params: dict[str, Any], urls: Urls) -> Any:
    return package_dicts([_dataset_key(params)], urls)[0]


def package_search(params: dict[str, Any], urls: Urls) -> Any:
    datasets = published_datasets()
    datasets = text_query(datasets, str(params.get("q", "")))
    for fq in [params.get("fq", ""), *_list(params, "fq_list")]:
        if fq:
            datasets = filter_query(datasets, str(fq))
    sort = str(params.get("sort") or "score desc, metadata_modified desc")
    rows = _int(params, "rows", 10, MAX_ROWS)
    start = _int(params, "start", 0)
    fields = _list(params, "facet.field")
    unknown = [f for f in fields if f not in FACET_FIELDS]
    if unknown:
        raise ActionError(
            409,
            {"__type": "Search Query Error", "message": f"Unknown facet field: {unknown[0]}"},
        )
    facet_limit = _int(params, "facet.limit", 50)
    # total and facets: cached per filter set and catalogue generation (search_counts)
    total, counted = search_counts.counted(datasets, fields, facet_limit)
    # The page's keys first, from the dataset table alone, then their rows with publisher,
    # area and distributions: a deep `start` (harvesters walk the whole catalogue) skips
    # index entries, not joined rows
    keys = list(
        datasets.order_by(*order_by(sort)).values_list("pk", flat=True)[start : start + rows]
    )
    return {
        "count": total,
        "sort": sort,
        "results": package_dicts(keys, urls),
        "facets": {field: dict(counter) for field, counter in counted.items()},
        "search_facets": {
            field: {
                "title": field,
                "items": [
                    {"name": v, "display_name": _facet_title(field, v), "count": n}
                    for v, n in counter.items()
                ],
            }
            for field, counter in counted.items()
        },
    }


def _organizations() -> QuerySet[Authority]:
    return (
        authority_queries.all_authorities()
        .filter(datasets__status=DatasetStatus.PUBLISHED)
        .annotate(
            package_count=Count("datasets", filter=Q(datasets__status=DatasetStatus.PUBLISHED))
        )
    )


def organization_list(params: dict[str, Any], urls: Urls) -> Any:
    sort = str(params.get("sort") or "name asc")
    column = "name" if sort.startswith(("title", "display_name")) else "slug"
    if sort.startswith("package_count"):
        column = "package_count"
    descending = sort.endswith("desc")
    orgs = _organizations().order_by(f"-{column}" if descending else column, "slug")
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", 1000, 1000)
    orgs = orgs[offset : offset + limit]
    if _bool(params, "all_fields"):
        return [organization_dict(a, package_count=a.package_count) for a in orgs]  # type: ignore[attr-defined]
    return [a.slug for a in orgs]


def organization_show(params: dict[str, Any], urls: Urls) -> Any:
    key = str(params.get("id") or "")
    if not key:
        raise validation_error(id="Missing value")
    orgs = _organizations()
    authority = orgs.filter(slug=key).first() or (
        orgs.filter(pk=int(key)).first() if key.isdigit() else None
    )
    if authority is None:
        raise not_found()
    data = organization_dict(authority, package_count=authority.package_count)  # type: ignore[attr-defined]
    if _bool(params, "include_datasets"):
        keys = published_datasets().filter(authority=authority).values_list("pk", flat=True)
        data["packages"] = package_dicts(list(keys[:1000]), urls)
    return data


def group_list(params: dict[str, Any], urls: Urls) -> Any:
    counts: Counter[str] = Counter()
    for index in published_datasets().values_list("theme_index", flat=True):
        counts.update(v for v in index.strip("|").split("|") if v)
    if _bool(params, "all_fields"):
        return [group_dict(code, package_count=counts[code]) for code in rules.THEMES]
    return [code.lower() for code in rules.THEMES]


def tag_list(params: dict[str, Any], urls: Urls) -> Any:
    query = str(params.get("query") or params.get("q") or "").lower()
    tags: set[str] = set()
    for keywords in published_datasets().values_list("keywords", flat=True):
        tags.update(k for k in keywords if query in k.lower())
    names = sorted(tags)
    if _bool(params, "all_fields"):
        return [{"id": n, "name": n, "vocabulary_id": None} for n in names]
    return names


def license_list(params: dict[str, Any], urls: Urls) -> Any:
    return [
        {
            "id": licence_id(code),
            "title": term.de,
            "url": rules.LICENCE_URLS.get(code, ""),
            "status": "active",
            "maintainer": "",
            "family": "",
            "domain_content": True,
            "domain_data": True,
            "domain_software": False,
            "od_conformance": "approved" if code in rules.OPEN_LICENCES else "not reviewed",
            "osd_conformance": "not reviewed",
            "is_generic": False,
        }
        for code, term in rules.LICENCES.items()
    ]


def status_show(params: dict[str, Any], urls: Urls) -> Any:
    return {
        "site_title": "Verbund – Offene Daten",
        "site_description": "Offene Daten der Kommunen und Landesbehörden",
        "site_url": urls.base,
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": "de",
        "extensions": ["dcat", "dcatde"],
    }


ACTIONS: dict[str, Callable[[dict[str, Any], Urls], Any]] = {
    "package_list": package_list,
    "package_show": package_show,
    "package_search": package_search,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "tag_list": tag_list,
    "license_list": license_list,
    "status_show": status_show,
}


@csrf_exempt
def action(request: HttpRequest, name: str) -> JsonResponse:
    """Dispatch one action; parameters from the query string (GET) or a JSON body (POST)."""
    base = request.build_absolute_uri("/").rstrip("/")
    help_url = f"{base}/api/3/action/help_show?name={name}"

    def answer(status: int, payload: dict[str, Any]) -> JsonResponse:
        response = JsonResponse(
            {"help": help_url, **payload}, status=status, json_dumps_params={"ensure_ascii": False}
        )
        response["Access-Control-Allow-Origin"] = "*"
        return response

    handler = ACTIONS.get(name)
    if handler is None:
        return answer(
            400,
            {
                "success": False,
                "error": {
                    "__type": "Bad request",
                    "message": f"Bad request - Action name not known: {name}",
                },
            },
        )
    if request.method not in {"GET", "POST"}:
        return answer(
            405,
            {"success": False, "error": {"__type": "Bad request", "message": "Method not allowed"}},
        )
    params: dict[str, Any] = {k: v for k, v in request.GET.items()}
    if request.method == "POST" and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return answer(
                400,
                {
                    "success": False,
                    "error": {
                        "__type": "Bad request",
                        "message": "Bad request - JSON Error: Request data JSON decoded to "
                        "something other than a dict",
                    },
                },
            )
        params.update(body)
    elif request.method == "POST":
        params.update({k: v for k, v in request.POST.items()})
    try:
        result = handler(params, Urls(base))
    except ActionError as exc:
        return answer(exc.status, {"success": False, "error": exc.error})
    return answer(200, {"success": True, "result": result})
