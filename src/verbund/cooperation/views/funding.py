"""Funding: calls, the Land's review and decisions, the reports, a member's applications."""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from verbund.accounts.access import operator_required, staff_required
from verbund.cooperation import actions, queries, reports, rules
from verbund.cooperation.views.common import _days, _fee, _or_404, reporting_errors
from verbund.core.errors import InvalidInput

# --- the funding programme ------------------------------------------------------------------


def _amount(raw: str) -> Decimal | None:
    value = _fee(raw[:30])
    return None if value is None or value < 0 else value


@operator_required
def funding(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    now = timezone.now()
    open_rows = [
        {"application": a, "age": rules.age_in_days(a.submitted_at, now)}
        for a in queries.open_funding_applications(land)
    ]
    return render(
        request,
        "cooperation/funding.html",
        {
            "land": land,
            "programmes": reports.funding_report_by_programme(land),
            "programme_titles": queries.funding_programmes(land).values_list("title", flat=True),
            "statistics": reports.funding_statistics(land),
            "open_rows": open_rows,
            "decided": queries.decided_funding_applications(land)[:50],
        },
    )


@operator_required
@require_POST
def open_call(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    values = [
        _amount(request.POST.get(name, ""))
        for name in ("budget", "mindestbetrag", "hoechstbetrag", "foerdersatz")
    ]
    year = _days(request.POST.get("jahr", "")[:4])
    title = request.POST.get("titel", "").strip()
    if None in values or year is None or not title:
        messages.error(request, _("Bitte alle Angaben des Aufrufs als Zahlen ausfüllen."))
        return redirect("cooperation:funding")
    budget, minimum, maximum, rate = (v for v in values if v is not None)
    with reporting_errors(request):
        actions.open_funding_call(
            programme=actions.ensure_funding_programme(
                land=land, title=request.POST.get("programm", ""), actor=request.user
            ),
            land=land,
            title=title,
            year=year,
            budget=budget,
            min_amount=minimum,
            max_amount=maximum,
            rate_percent=rate,
            actor=request.user,
        )
        messages.success(request, _("Der Förderaufruf ist eröffnet."))
    return redirect("cooperation:funding")


@operator_required
@require_POST
def decide_funding(request: HttpRequest, pk: int) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    application = _or_404(queries.get_funding_application_or_404, land, pk)
    decision = request.POST.get("entscheidung", "")
    with reporting_errors(request):
        if decision == "bewilligen":
            amount = _amount(request.POST.get("betrag", ""))
            if amount is None:
                raise InvalidInput(_("Bitte den bewilligten Betrag angeben."))
            actions.approve_funding_application(
                application=application, amount=amount, actor=request.user
            )
            messages.success(
                request,
                _("Der Antrag von %(name)s ist bewilligt; %(amount)s sind gebunden.")
                % {"name": application.applicant.name, "amount": rules.money(amount)},
            )
        elif decision == "ablehnen":
            actions.reject_funding_application(
                application=application, reason=request.POST.get("grund", ""), actor=request.user
            )
            messages.success(request, _("Der Antrag ist abgelehnt."))
        else:
            messages.error(request, _("Bitte bewilligen oder ablehnen."))
    return redirect("cooperation:funding")


CSV_TABLES = {
    "programme": ["Förderprogramm", "Aufrufe", "Budget", "gebunden", "ausgezahlt", "verfügbar"],
    "aufrufe": [
        "Förderprogramm",
        "Aufruf",
        "Jahr",
        "Budget",
        "gebunden",
        "ausgezahlt",
        "verfügbar",
        "offene Anträge",
    ],
    "offen": ["Antrag", "Aufruf", "Kommune", "Vorhaben", "beantragt", "eingegangen", "Tage offen"],
    "kreise": ["Kreis", "Anträge", "davon offen"],
    "stand": ["Stand", "Anträge"],
    "dauer": ["Entscheidungsdauer Median (Tage)", "Entscheidungsdauer höchstens (Tage)"],
}


def _write_call_rows(writer: Any, group: reports.ProgrammeReport) -> None:
    for report in group.calls:
        t = report.totals
        writer.writerow(
            [
                group.title,
                report.call.title,
                report.call.year,
                t["budget"],
                t["committed"],
                t["paid"],
                t["available"],
                report.open_count,
            ]
        )


@operator_required
def funding_csv(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    table = request.GET.get("tabelle", "")
    if table not in CSV_TABLES:
        return HttpResponseBadRequest(
            _("Unbekannte Tabelle; möglich sind: %(names)s.") % {"names": ", ".join(CSV_TABLES)}
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="foerderung-{table}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read UTF-8
    writer = csv.writer(response, delimiter=";")
    writer.writerow(CSV_TABLES[table])
    if table == "programme":
        for group in reports.funding_report_by_programme(land):
            t = group.totals
            writer.writerow(
                [
                    group.title,
                    len(group.calls),
                    t["budget"],
                    t["committed"],
                    t["paid"],
                    t["available"],
                ]
            )
    elif table == "aufrufe":
        for group in reports.funding_report_by_programme(land):
            _write_call_rows(writer, group)
    elif table == "kreise":
        for row in reports.funding_statistics(land).by_kreis:
            writer.writerow(row)
    elif table == "stand":
        for label, count in reports.funding_statistics(land).by_status:
            writer.writerow([label, count])
    elif table == "dauer":
        statistics = reports.funding_statistics(land)
        writer.writerow([statistics.median_days, statistics.max_days])
    else:
        now = timezone.now()
        for a in queries.open_funding_applications(land):
            writer.writerow(
                [
                    a.pk,
                    a.call.title,
                    a.applicant.name,
                    a.title,
                    a.requested_amount,
                    a.submitted_at.date().isoformat(),
                    rules.age_in_days(a.submitted_at, now),
                ]
            )
    return response


# --- funding review (Land reviewers: only their calls) and the Kommune's side ----------------


@operator_required
def funding_review(request: HttpRequest) -> HttpResponse:
    calls = _or_404(queries.reviewer_calls_or_404, request.user)
    now = timezone.now()
    rows = [
        {
            "application": a,
            "age": rules.age_in_days(a.submitted_at, now),
            "proof": queries.pending_proof(a),
            "position": queries.application_position(a),
        }
        for a in queries.applications_to_review(request.user)
    ]
    return render(
        request,
        "cooperation/funding_review.html",
        {"calls": calls, "rows": rows, "open": rules.OPEN_FUNDING},
    )


@operator_required
@require_POST
def funding_review_step(request: HttpRequest, pk: int) -> HttpResponse:
    application = _or_404(queries.funding_application_for_reviewer_or_404, request.user, pk)
    step = request.POST.get("schritt", "")
    user = request.user
    with reporting_errors(request):
        if step == "bewilligen":
            amount = _amount(request.POST.get("betrag", ""))
            if amount is None:
                raise InvalidInput(_("Bitte den bewilligten Betrag angeben."))
            actions.approve_funding_application(application=application, amount=amount, actor=user)
            messages.success(request, _("Der Antrag ist bewilligt."))
        elif step == "ablehnen":
            actions.reject_funding_application(
                application=application, reason=request.POST.get("grund", ""), actor=user
            )
            messages.success(request, _("Der Antrag ist abgelehnt."))
        elif step == "rueckfrage":
            actions.request_funding_information(
                application=application, question=request.POST.get("frage", ""), actor=user
            )
            messages.success(request, _("Die Rückfrage ist an die Kommune gestellt."))
        elif step == "vorzeitig":
            actions.permit_early_start(application=application, actor=user)
            messages.success(request, _("Der vorzeitige Maßnahmebeginn ist zugelassen."))
        elif step in {"nachweis_anerkennen", "nachweis_zurueckweisen"}:
            proof = queries.pending_proof(application)
            if proof is None:
                raise Http404
            proof = actions.review_proof_of_use(
                proof=proof,
                accept=step == "nachweis_anerkennen",
                note=request.POST.get("vermerk", ""),
                actor=user,
            )
            messages.success(
                request,
                _("Der Verwendungsnachweis ist anerkannt; %(amount)s sind ausgezahlt.")
                % {"amount": rules.money(proof.paid_amount or Decimal(0))}
                if step == "nachweis_anerkennen"
                else _("Der Verwendungsnachweis ist zurückgewiesen."),
            )
        else:
            messages.error(request, _("Unbekannter Schritt."))
    return redirect("cooperation:funding_review")


@operator_required
def proof_document(request: HttpRequest, pk: int) -> HttpResponse:
    proof = _or_404(queries.proof_for_reviewer_or_404, request.user, pk)
    response = HttpResponse(queries.proof_document(proof), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="verwendungsnachweis-{proof.pk}.pdf"'
    return response


@staff_required
def administration_funding(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    rows = [
        {
            "application": a,
            "leads": a.applicant_id == authority.pk,
            "position": queries.application_position(a),
            "proofs": list(a.proofs.all()),
        }
        for a in queries.funding_applications_of(authority)
    ]
    return render(
        request,
        "cooperation/administration_funding.html",
        {"authority": authority, "rows": rows, "open": rules.OPEN_FUNDING},
    )


@staff_required
@require_POST
def administration_funding_step(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    application = _or_404(queries.led_funding_application_or_404, authority, pk)
    step = request.POST.get("schritt", "")
    user = request.user
    with reporting_errors(request):
        if step == "antworten":
            actions.answer_funding_information(
                application=application, answer=request.POST.get("antwort", ""), actor=user
            )
            messages.success(request, _("Ihre Antwort ist beim Land."))
        elif step == "zuruecknehmen":
            actions.withdraw_funding_application(
                application=application, reason=request.POST.get("grund", ""), actor=user
            )
            messages.success(request, _("Der Antrag ist zurückgenommen."))
        elif step == "beteiligen":
            land = queries.land_of(authority)
            if land is None:
                raise Http404
            partner = _partner(land, request.POST.get("ars", "")[:12])
            actions.add_funding_partner(application=application, partner=partner, actor=user)
            messages.success(request, _("%(name)s ist beteiligt.") % {"name": partner.name})
        elif step == "nachweis":
            upload = request.FILES.get("datei")
            costs = _amount(request.POST.get("ausgaben", ""))
            if upload is None or costs is None:
                raise InvalidInput(_("Bitte die Ausgaben angeben und den Nachweis als PDF wählen."))
            actions.submit_proof_of_use(
                application=application,
                actual_costs=costs,
                summary=request.POST.get("bericht", ""),
                filename=(upload.name or "nachweis.pdf")[:200],
                content=upload.read(settings.VERBUND_ATTACHMENT_MAX_BYTES + 1),
                actor=user,
            )
            messages.success(request, _("Der Verwendungsnachweis ist eingereicht."))
        else:
            messages.error(request, _("Unbekannter Schritt."))
    return redirect("cooperation:administration_funding", slug=slug)


def _partner(land: Any, key: str) -> Any:
    gebiet = queries.find_gebiet_in_land(land, key)
    found = queries.general_administration(gebiet)
    if found is None:
        raise InvalidInput(_("Für dieses Gebiet ist keine Verwaltung erfasst."), code="no_admin")
    return found
