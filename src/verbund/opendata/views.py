"""Pages of the open-data catalogue (`/daten/`) and its DCAT-AP.de export."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from verbund.authorities import queries as authority_queries
from verbund.core.errors import NotFound
from verbund.gebiete import queries as gebiete_queries
from verbund.opendata import ckan, dcat, queries, rules
from verbund.opendata.models import Dataset

CATALOG_TITLE = "Offene Daten im Verbund"
CATALOG_DESCRIPTION = (
    "Offene Daten der Kommunen und Landesbehörden, veröffentlicht auf der gemeinsamen "
    "E-Government-Plattform Verbund."
)


def _urls(request: HttpRequest) -> dcat.Urls:
    profile = request.GET.get("profil", "3.0")
    return dcat.Urls(
        request.build_absolute_uri("/"), profile if profile in dcat.PROFILES else "3.0"
    )


def catalog_export(request: HttpRequest, ext: str) -> HttpResponseBase:
    """The whole catalogue streamed, or with `?page=N` one hydra page of it."""
    fmt = dcat.FORMATS[ext]
    urls = _urls(request)
    datasets = queries.published_datasets()
    page: dcat.Page | None = None
    raw_page = request.GET.get("page")
    if raw_page is not None:
        if not raw_page.isdigit() or int(raw_page) < 1:
            return HttpResponseBadRequest(
                _("Der Parameter page muss eine positive ganze Zahl sein."),
                content_type="text/plain; charset=utf-8",
            )
        size = settings.VERBUND_OPENDATA_PAGE_SIZE
        page = dcat.Page(number=int(raw_page), size=size, total=datasets.count())
        if page.number > page.last:
            raise Http404(_("Diese Seite des Katalogs gibt es nicht."))
        start = (page.number - 1) * size
        datasets = datasets[start : start + size]
    head = dcat.catalog_graph(
        urls,
        title=CATALOG_TITLE,
        description=CATALOG_DESCRIPTION,
        publisher_name="Verbund",
        page=page,
        ext=ext,
    )
    body = dcat.stream(head, datasets.iterator(chunk_size=dcat.CHUNK), urls, ext)
    response = StreamingHttpResponse(body, content_type=fmt.content_type)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def dataset_export(request: HttpRequest, name: str, ext: str) -> HttpResponse:
    try:
        dataset = queries.get_published_dataset(name)
    except NotFound as exc:
        raise Http404(exc.message) from None
    graph = dcat.new_graph()
    dcat.add_dataset(graph, dataset, _urls(request))
    response = HttpResponse(dcat.serialise(graph, ext), content_type=dcat.FORMATS[ext].content_type)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def download(request: HttpRequest, name: str, distribution_id: UUID) -> HttpResponseBase:
    """An uploaded file of a published dataset, as stored (checked on upload)."""
    try:
        distribution = queries.get_published_file(name, distribution_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    response = FileResponse(
        queries.dataset_storage().open(distribution.storage_name, "rb"),
        as_attachment=True,
        filename=distribution.filename or f"{name}.{distribution.format.lower()}",
        content_type=distribution.media_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- public pages -------------------------------------------------------------------

PAGE_SIZE = 20
FACETS = [
    # (query parameter, CKAN facet field, label)
    ("publisher", "organization", gettext_lazy("Veröffentlicht von")),
    ("theme", "groups", gettext_lazy("Kategorie")),
    ("format", "res_format", gettext_lazy("Format")),
    ("licence", "license_id", gettext_lazy("Lizenz")),
    ("kreis", "kreis", gettext_lazy("Kreis")),
]


def catalogue(request: HttpRequest) -> HttpResponse:
    """Search with facets; every facet value is a plain link (no JavaScript)."""
    q = request.GET.get("q", "").strip()[:200]
    datasets = ckan.text_query(queries.published_datasets(), q.replace(":", " "))
    chosen: dict[str, str] = {}
    for param, field, _label in FACETS:
        value = request.GET.get(param, "").strip()
        if value:
            chosen[param] = value
            try:
                datasets = ckan.filter_query(datasets, f'{field}:"{value}"')
            except ckan.ActionError:
                datasets = datasets.none()
    counted = ckan.facets(datasets, [field for _p, field, _l in FACETS], 20)
    names = dict(authority_queries.all_authorities().values_list("slug", "name"))
    kreise = dict(
        gebiete_queries.current_gebiete()
        .filter(level="kreis", key__in=list(counted["kreis"]))
        .values_list("key", "name")
    )
    facet_groups = []
    for param, field, label in FACETS:
        items = []
        for value, count in counted[field].items():
            if field == "organization":
                title = names.get(value, value)
            elif field == "kreis":
                title = kreise.get(value, value)
            else:
                title = ckan._facet_title(field, value)
            params = request.GET.copy()
            params.pop("seite", None)
            selected = chosen.get(param) == value
            if selected:
                params.pop(param, None)
            else:
                params[param] = value
            items.append(
                {"title": title, "count": count, "query": params.urlencode(), "selected": selected}
            )
        facet_groups.append({"label": label, "param": param, "items": items})
    paginator = Paginator(datasets.order_by("title", "name"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("seite"))
    params = request.GET.copy()
    params.pop("seite", None)
    return render(
        request,
        "opendata/catalogue.html",
        {
            "q": q,
            "page": page,
            "count": paginator.count,
            "facet_groups": facet_groups,
            "base_query": params.urlencode(),
            "chosen": sorted(chosen.items()),
        },
    )


def dataset_page(request: HttpRequest, name: str) -> HttpResponse:
    try:
        dataset = queries.get_published_dataset(name)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return render(request, "opendata/dataset.html", describe(dataset))


def describe(dataset: Dataset) -> dict[str, Any]:
    """What the dataset page and the back office show of a dataset."""
    language = get_language() or "de"

    def label(term: rules.Term) -> str:
        return term.en if language.startswith("en") else term.de

    licence = rules.LICENCES.get(dataset.licence)
    frequency = rules.FREQUENCIES.get(dataset.accrual_periodicity)
    return {
        "dataset": dataset,
        "themes": [label(rules.THEMES[t]) for t in dataset.themes if t in rules.THEMES],
        "licence": label(licence) if licence else dataset.licence,
        "licence_url": rules.LICENCE_URLS.get(dataset.licence, ""),
        "frequency": label(frequency) if frequency else "",
        "distributions": list(dataset.distributions.all()),
    }


def distribution_page(request: HttpRequest, name: str, distribution_id: UUID) -> HttpResponse:
    """The URI of a distribution in the export leads to its dataset's page."""
    return redirect("opendata:dataset", name=name)
