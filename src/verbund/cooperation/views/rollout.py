"""Shared services offered and activated, and the texts reviewed before publication."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from verbund.accounts.access import operator_required, staff_required
from verbund.applications import queries as application_queries
from verbund.cooperation import actions, queries, rules
from verbund.cooperation.views.common import _days, _fee, _or_404, reporting_errors
from verbund.core.errors import DomainError, NotFound


@operator_required
def land_rollout(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    services, rows = queries.rollout_table(land)
    shared_ids = {s.service_id for s in services}
    missing = [
        sum(1 for row in rows if row.cells[index] != rules.ACTIVE) for index in range(len(services))
    ]
    return render(
        request,
        "cooperation/land_rollout.html",
        {
            "land": land,
            "services": list(zip(services, missing, strict=True)),
            "rows": rows,
            "candidates": [
                s for s in application_queries.services_with_forms() if s.pk not in shared_ids
            ],
        },
    )


@operator_required
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    try:
        service = application_queries.get_service(request.POST.get("leistung", "")[:200])
        shared = actions.publish_shared_service(
            land=land,
            service=service,
            fee_set_locally=request.POST.get("gebuehr_kommunal") == "1",
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cooperation:rollout")
    messages.success(
        request,
        _("„%(name)s“ steht den Behörden zur Übernahme bereit.") % {"name": shared.service.name},
    )
    return redirect("cooperation:rollout")


@staff_required
@require_POST
def service_activation(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    land = queries.land_of(authority)
    if land is None:
        raise Http404
    shared = _or_404(queries.get_shared_service_or_404, land, pk)
    step = request.POST.get("schritt", "freischalten")
    with reporting_errors(request):
        if step == "freischalten":
            actions.activate_service(
                shared=shared,
                authority=authority,
                fee=_fee(request.POST.get("gebuehr", "")[:20]),
                contact=request.POST.get("kontakt", "")[:200],
                processing_days=_days(request.POST.get("frist", "")[:5]),
                actor=request.user,
            )
            messages.success(
                request, _("„%(name)s“ ist freigeschaltet.") % {"name": shared.service.name}
            )
        else:
            activation = queries.activation_of(shared, authority)
            if activation is None:
                raise Http404
            if step == "pausieren":
                actions.pause_service(activation=activation, actor=request.user)
                messages.success(
                    request, _("„%(name)s“ ist pausiert.") % {"name": shared.service.name}
                )
            elif step == "fortsetzen":
                actions.resume_service(activation=activation, actor=request.user)
                messages.success(
                    request,
                    _("„%(name)s“ ist wieder freigeschaltet.") % {"name": shared.service.name},
                )
            else:
                messages.error(request, _("Unbekannter Schritt."))
    return redirect("cooperation:administration", slug=slug)


# --- service texts: draft → review → published ---------------------------------------------


def _prefill(request: HttpRequest, authority: Any = None) -> dict[str, str]:
    """The draft form, prefilled with the published text when service and field are given."""
    slug = request.GET.get("leistung", "")[:200]
    field_name = request.GET.get("feld", "")
    prefill = {"leistung": slug, "feld": field_name, "text": ""}
    if slug and field_name in rules.TEXT_FIELDS:
        try:
            service = queries.service_by_slug(slug)
            prefill["text"] = catalogue_text(service, authority, field_name)
        except NotFound:
            prefill["leistung"] = ""
    return prefill


def catalogue_text(service: Any, authority: Any, field_name: str) -> str:
    return queries.published_text(service, authority, field_name)


def _revision_rows(revisions: Any) -> list[dict[str, Any]]:
    return [
        {
            "revision": r,
            "diff": rules.text_diff(r.previous, r.text),
            "label": rules.TEXT_FIELDS[r.field_name],
        }
        for r in revisions
    ]


@operator_required
def texts(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    revisions = queries.text_revisions(land)
    return render(
        request,
        "cooperation/texts.html",
        {
            "land": land,
            "fields": rules.TEXT_FIELDS,
            "prefill": _prefill(request),
            "in_review": _revision_rows(revisions.filter(state=rules.TEXT_REVIEW)),
            "drafts": _revision_rows(
                revisions.filter(state=rules.TEXT_DRAFT, authority__isnull=True)
            ),
            "history": revisions.exclude(state=rules.TEXT_DRAFT)[:30],
        },
    )


def _draft(request: HttpRequest, land: Any, authority: Any) -> None:
    with reporting_errors(request):
        actions.draft_text(
            land=land,
            service=queries.service_by_slug(request.POST.get("leistung", "")[:200]),
            authority=authority,
            field_name=request.POST.get("feld", "")[:40],
            text=request.POST.get("text", "")[:20001],
            actor=request.user,
        )
        messages.success(request, _("Der Entwurf ist gespeichert. Geben Sie ihn zur Prüfung."))


@operator_required
@require_POST
def text_draft(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    _draft(request, land, None)
    return redirect("cooperation:texts")


@operator_required
@require_POST
def text_step(request: HttpRequest, pk: int) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    revision = _or_404(queries.text_revision_in_land_or_404, land, pk)
    step = request.POST.get("schritt", "")
    with reporting_errors(request):
        if step == "einreichen" and revision.authority_id is None:
            actions.submit_text_for_review(revision=revision, actor=request.user)
            messages.success(request, _("Der Text ist zur Prüfung gegeben."))
        elif step in {"veroeffentlichen", "zurueckweisen"}:
            actions.review_text(
                revision=revision,
                publish=step == "veroeffentlichen",
                note=request.POST.get("vermerk", ""),
                actor=request.user,
            )
            messages.success(
                request,
                _("Der Text ist veröffentlicht.")
                if step == "veroeffentlichen"
                else _("Der Text ist zurückgewiesen."),
            )
        else:
            messages.error(request, _("Unbekannter Schritt."))
    return redirect("cooperation:texts")


@staff_required
def administration_texts(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    revisions = queries.text_revisions_of(authority)
    return render(
        request,
        "cooperation/administration_texts.html",
        {
            "authority": authority,
            "fields": rules.TEXT_FIELDS,
            "prefill": _prefill(request, authority),
            "drafts": _revision_rows(revisions.filter(state=rules.TEXT_DRAFT)),
            "history": _revision_rows(revisions.exclude(state=rules.TEXT_DRAFT)[:30]),
        },
    )


@staff_required
@require_POST
def administration_text_draft(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    land = queries.land_of(authority)
    if land is None:
        raise Http404
    _draft(request, land, authority)
    return redirect("cooperation:administration_texts", slug=slug)


@staff_required
@require_POST
def administration_text_step(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    revision = _or_404(queries.text_revision_of_authority_or_404, authority, pk)
    with reporting_errors(request):
        actions.submit_text_for_review(revision=revision, actor=request.user)
        messages.success(request, _("Der Text ist beim Land zur Prüfung."))
    return redirect("cooperation:administration_texts", slug=slug)
