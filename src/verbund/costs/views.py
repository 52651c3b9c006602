"""The Land's cost page in the Land console (`/land/kosten/`, operators of the Land) and an
authority's statements in its administration (`/verwaltung/<slug>/abrechnungen/`, its
administrators). Thin views: access through `queries` (404 outside one's Land or
authority), changes through `actions`."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from verbund.accounts.access import operator_required, staff_required
from verbund.core.errors import DomainError, NotFound
from verbund.costs import actions, documents, queries, rules


def _or_404(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _amount(raw: str) -> Decimal | None:
    """An amount as people type it: 1.234,50 or 1234,5 (German) or 1234.50."""
    raw = raw[:30].replace("€", "").replace(" ", "").strip()
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    elif not re.fullmatch(r"\d+\.\d{1,2}", raw):
        raw = raw.replace(".", "")
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        return Decimal("-1")  # refused with the rule's message


def _year(raw: str, default: int) -> int:
    return int(raw) if re.fullmatch(r"\d{4}", raw.strip()) else default


# --- Land console ---------------------------------------------------------------------------


@operator_required
def land_costs(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    if request.method == "POST":
        year = _year(request.POST.get("jahr", ""), 0)
        try:
            actions.set_component_cost(
                land=land,
                component=request.POST.get("komponente", "")[:30],
                year=year,
                amount=_amount(request.POST.get("betrag", "")),
                key=request.POST.get("schluessel", "")[:20],
                base_fee=_amount(request.POST.get("grundbetrag", "")),
                actor=request.user,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Die Kosten sind gespeichert."))
        return redirect(f"{reverse('costs:land')}?jahr={year}")
    year = _year(request.GET.get("jahr", ""), timezone.localdate().year)
    entered = {c.component: c for c in queries.component_costs(land, year)}
    return render(
        request,
        "costs/land.html",
        {
            "land": land,
            "year": year,
            "components": [
                {"key": key, "label": label, "cost": entered.get(key)}
                for key, label in rules.COMPONENTS.items()
            ],
            "keys": list(rules.KEYS.items()),
            "months": [
                queries.month_summary(land, m) for m in queries.months_with_statements(land)
            ],
            "participants": len(queries.participants(land)),
        },
    )


@operator_required
@require_POST
def issue(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    try:
        month = rules.parse_month(request.POST.get("monat", "")[:10])
    except ValueError:
        messages.error(request, _("Bitte den Monat als JJJJ-MM angeben, z. B. 2026-11."))
        return redirect("costs:land")
    if month > timezone.localdate().replace(day=1):
        messages.error(request, _("Abgerechnet werden nur begonnene oder vergangene Monate."))
        return redirect("costs:land")
    try:
        issued = actions.issue_statements(land=land, month=month, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Für %(month)s sind %(count)d Abrechnungen erstellt.")
            % {"month": f"{month:%m/%Y}", "count": len(issued)},
        )
    return redirect(f"{reverse('costs:land')}?jahr={month.year}")


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so that spreadsheet programs read UTF-8
    response.write(text)
    return response


@operator_required
def month_csv(request: HttpRequest, month: str) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    try:
        first = rules.parse_month(month)
    except ValueError:
        raise Http404 from None
    if not queries.allocations_of(land, first).exists():
        raise Http404
    return _csv_response(documents.render_month_csv(land, first), f"kosten-{month}.csv")


# --- authority administration ---------------------------------------------------------------


@staff_required
def statements(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    rows = [
        {"statement": s, "total": rules.from_cents(s.total_cents), "month": f"{s.month:%Y-%m}"}
        for s in queries.statements_of(authority)
    ]
    return render(request, "costs/statements.html", {"authority": authority, "rows": rows})


@staff_required
def statement_pdf(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    statement = _or_404(queries.get_statement_for_admin_or_404, request.user, slug, month)
    response = HttpResponse(
        documents.render_statement_pdf(statement), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="abrechnung-{slug}-{month}.pdf"'
    return response


@staff_required
def statement_csv(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    statement = _or_404(queries.get_statement_for_admin_or_404, request.user, slug, month)
    return _csv_response(
        documents.render_statements_csv([statement]), f"abrechnung-{slug}-{month}.csv"
    )
