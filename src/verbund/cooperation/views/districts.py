"""District offices: the Landkreise propose, the Land reviews, XZuFi export."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from verbund.accounts.access import operator_required
from verbund.cooperation import actions, queries, rules
from verbund.cooperation.views.common import _or_404, reporting_errors
from verbund.core.errors import DomainError, InvalidInput
from verbund.finder import queries as finder_queries

# --- district offices -----------------------------------------------------------------------


def _date(raw: str, label: str) -> datetime.date | None:
    raw = raw.strip()[:10]
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            _("„%(value)s“ ist kein Datum (JJJJ-MM-TT) für „%(label)s“.")
            % {"value": raw, "label": label},
            code="invalid_date",
        ) from None


@operator_required
def districts(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    return render(
        request,
        "cooperation/districts.html",
        {
            "land": land,
            "kinds": queries.office_kinds(land),
            "proposals": queries.open_district_proposals(land),
            "decided": queries.district_proposals(land)
            .exclude(state=rules.PROPOSED)
            .order_by("-reviewed_at", "-pk")[:20],
        },
    )


@operator_required
def office_kind(request: HttpRequest, slug: str) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    kind = _or_404(queries.office_kind_or_404, land, slug)
    return render(
        request,
        "cooperation/office_kind.html",
        {
            "land": land,
            "kind": kind,
            "districts": finder_queries.districts_of(kind),
            "today": timezone.localdate(),
            "prefill": {
                "amt": request.GET.get("amt", "")[:80],
                "gebiet": request.GET.get("gebiet", "")[:12],
            },
        },
    )


@operator_required
@require_POST
def propose_district(request: HttpRequest, slug: str) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    kind = _or_404(queries.office_kind_or_404, land, slug)
    try:
        actions.propose_district(
            land=land,
            kind=kind,
            office_slug=request.POST.get("amt", "")[:80],
            area=request.POST.get("gebiet", "")[:20],
            valid_from=_date(request.POST.get("ab", ""), _("gültig ab")),
            valid_until=_date(request.POST.get("bis", ""), _("gültig bis")),
            note=request.POST.get("hinweis", "")[:300],
            reason=request.POST.get("begruendung", "")[:500],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cooperation:office_kind", slug=slug)
    messages.success(
        request,
        _("Die Änderung ist vorgeschlagen; sie gilt, sobald eine zweite Person sie freigibt."),
    )
    return redirect("cooperation:districts")


@operator_required
@require_POST
def review_district(request: HttpRequest, pk: int) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    proposal = _or_404(queries.get_district_proposal_or_404, land, pk)
    decision = request.POST.get("entscheidung", "")
    if decision not in {"freigeben", "ablehnen"}:
        messages.error(request, _("Bitte freigeben oder ablehnen."))
        return redirect("cooperation:districts")
    with reporting_errors(request):
        actions.review_district_proposal(
            proposal=proposal,
            approve=decision == "freigeben",
            note=request.POST.get("vermerk", "")[:500],
            actor=request.user,
        )
        messages.success(
            request,
            _("Die Änderung ist freigegeben und gilt im Zuständigkeitsfinder.")
            if decision == "freigeben"
            else _("Die Änderung ist abgelehnt."),
        )
    return redirect("cooperation:districts")


@operator_required
def districts_xzufi(request: HttpRequest, slug: str) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    kind = _or_404(queries.office_kind_or_404, land, slug)
    response = HttpResponse(
        finder_queries.districts_xzufi(kind), content_type="application/xml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="amtsbezirke-{kind.slug}.xml"'
    return response
