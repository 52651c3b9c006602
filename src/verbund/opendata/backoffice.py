"""The back office of an authority's open data: staff with a publishing role (lead or
authority administrator) create, edit, publish and withdraw their authority's datasets.
Another authority's staff get 404 (through `queries`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from verbund.accounts.access import staff_required
from verbund.core.errors import DomainError, NotFound
from verbund.opendata import actions, queries
from verbund.opendata.forms import DatasetForm, FileDistributionForm, UrlDistributionForm
from verbund.opendata.models import Dataset
from verbund.opendata.views import describe


def _dataset_or_404(request: HttpRequest, dataset_id: UUID) -> Dataset:
    try:
        return queries.get_dataset_for_publisher_or_404(request.user, dataset_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _initial(dataset: Dataset) -> dict[str, Any]:
    return {
        "title": dataset.title,
        "description": dataset.description,
        "keywords": ", ".join(dataset.keywords),
        "themes": dataset.themes,
        "licence": dataset.licence,
        "contact_name": dataset.contact_name,
        "contact_email": dataset.contact_email,
        "landing_page": dataset.landing_page,
        "ars": dataset.gebiet.ars if dataset.gebiet else "",
        "temporal_start": dataset.temporal_start,
        "temporal_end": dataset.temporal_end,
        "accrual_periodicity": dataset.accrual_periodicity,
    }


@staff_required
def my_catalogues(request: HttpRequest) -> HttpResponse:
    authorities = list(queries.publishing_authorities(request.user))
    if len(authorities) == 1:
        return redirect("opendata:authority_datasets", slug=authorities[0].slug)
    return render(request, "opendata/my_catalogues.html", {"authorities": authorities})


@staff_required
def authority_datasets(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        authority = queries.publishing_authority_for_staff_or_404(request.user, slug)
    except NotFound as exc:
        raise Http404(exc.message) from None
    datasets = Dataset.objects.filter(authority=authority).order_by("title")[:1000]
    return render(
        request, "opendata/authority_datasets.html", {"authority": authority, "datasets": datasets}
    )


@staff_required
def create(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        authority = queries.publishing_authority_for_staff_or_404(request.user, slug)
    except NotFound as exc:
        raise Http404(exc.message) from None
    form = DatasetForm(
        request.POST or None,
        initial={
            "contact_name": authority.name,
            "contact_email": authority.email,
            "ars": authority.gebiet.ars,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            dataset = actions.create_dataset(
                authority=authority, actor=request.user, **form.values()
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Der Datensatz ist angelegt (Entwurf)."))
            return redirect("opendata:edit", dataset_id=dataset.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "opendata/edit.html", {"authority": authority, "form": form}, status=status
    )


@staff_required
def edit(request: HttpRequest, dataset_id: UUID) -> HttpResponse:
    dataset = _dataset_or_404(request, dataset_id)
    form = DatasetForm(request.POST or None, initial=_initial(dataset))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_dataset(dataset=dataset, actor=request.user, **form.values())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Die Änderungen sind gespeichert."))
            return redirect("opendata:edit", dataset_id=dataset.pk)
    context = {
        **describe(dataset),
        "authority": dataset.authority,
        "form": form,
        "file_form": FileDistributionForm(),
        "url_form": UrlDistributionForm(),
    }
    return render(
        request, "opendata/edit.html", context, status=400 if request.method == "POST" else 200
    )


@staff_required
@require_POST
def add_file(request: HttpRequest, dataset_id: UUID) -> HttpResponse:
    dataset = _dataset_or_404(request, dataset_id)
    form = FileDistributionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Bitte wählen Sie eine Datei und ihr Format."))
        return redirect("opendata:edit", dataset_id=dataset.pk)
    upload = form.cleaned_data["file"]
    try:
        actions.add_file_distribution(
            dataset=dataset,
            upload=actions.UploadedFile(upload.name or "datei", upload.read()),
            format=form.cleaned_data["format"],
            title=form.cleaned_data["title"],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Die Datei ist gespeichert."))
    return redirect("opendata:edit", dataset_id=dataset.pk)


@staff_required
@require_POST
def add_url(request: HttpRequest, dataset_id: UUID) -> HttpResponse:
    dataset = _dataset_or_404(request, dataset_id)
    form = UrlDistributionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte geben Sie eine gültige Adresse und ihr Format an."))
        return redirect("opendata:edit", dataset_id=dataset.pk)
    try:
        actions.add_url_distribution(dataset=dataset, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Die Adresse ist gespeichert."))
    return redirect("opendata:edit", dataset_id=dataset.pk)


@staff_required
@require_POST
def remove_distribution(request: HttpRequest, distribution_id: UUID) -> HttpResponse:
    try:
        distribution = queries.get_distribution_for_publisher_or_404(request.user, distribution_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    actions.remove_distribution(distribution=distribution, actor=request.user)
    messages.success(request, _("Die Distribution ist entfernt."))
    return redirect("opendata:edit", dataset_id=distribution.dataset_id)


@staff_required
@require_POST
def publish(request: HttpRequest, dataset_id: UUID) -> HttpResponse:
    dataset = _dataset_or_404(request, dataset_id)
    try:
        if request.POST.get("publish") == "0":
            actions.withdraw_dataset(dataset=dataset, actor=request.user)
            messages.success(request, _("Der Datensatz ist zurückgezogen (Entwurf)."))
        else:
            actions.publish_dataset(dataset=dataset, actor=request.user)
            messages.success(request, _("Der Datensatz ist veröffentlicht."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("opendata:edit", dataset_id=dataset.pk)
