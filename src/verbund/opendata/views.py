"""Pages of the open-data catalogue (`/daten/`) and its DCAT-AP.de export."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.utils.translation import gettext as _

from verbund.core.errors import NotFound
from verbund.opendata import dcat, queries

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
