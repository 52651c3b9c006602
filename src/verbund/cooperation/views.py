"""The Land console (`/land/`, operators of the Land) and the authority administration
(`/verwaltung/`, each authority's administrators). Thin views: access through `queries`
(404 for anything outside the operator's Land or the administrator's authority), changes
through `actions`. Every page needs a session with verified second factor."""

from __future__ import annotations

import csv
import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from verbund.accounts.access import operator_required, staff_required
from verbund.applications import queries as application_queries
from verbund.cooperation import actions, queries, reports, rules
from verbund.core.errors import DomainError, InvalidInput, NotFound
from verbund.finder import queries as finder_queries


def _or_404(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from None


# --- Land console ---------------------------------------------------------------------------


@operator_required
def land_console(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    state = request.GET.get("stand", "")
    if state not in queries.STATE_LABELS:
        state = ""
    rows = queries.land_overview(land)
    counts = {key: 0 for key in queries.STATE_LABELS}
    for row in rows:
        counts[row.state] += 1
    return render(
        request,
        "cooperation/land.html",
        {
            "land": land,
            "rows": [row for row in rows if not state or row.state == state],
            "counts": [(key, label, counts[key]) for key, label in queries.STATE_LABELS.items()],
            "state": state,
            "agreement": rules.AGREEMENT_TITLE,
            "agreement_version": rules.AGREEMENT_VERSION,
        },
    )


@operator_required
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    try:
        membership = actions.invite_authority(
            land=land,
            ars=request.POST.get("ars", "")[:20],
            slug=request.POST.get("behoerde", "")[:80],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cooperation:land")
    messages.success(
        request, _("%(name)s ist zum Verbund eingeladen.") % {"name": membership.authority.name}
    )
    return redirect("cooperation:land")


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


# --- authority administration ---------------------------------------------------------------


@staff_required
def administration_index(request: HttpRequest) -> HttpResponse:
    authorities = queries.administered_authorities(request.user)
    if len(authorities) == 1:
        return redirect("cooperation:administration", slug=authorities[0].slug)
    return render(request, "cooperation/administration_index.html", {"authorities": authorities})


@staff_required
def administration(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    membership = queries.membership_of(authority)
    land = queries.land_of(authority)
    services = []
    if land is not None:
        for shared in queries.shared_services(land):
            activation = queries.activation_of(shared, authority)
            services.append({"shared": shared, "activation": activation})
    return render(
        request,
        "cooperation/administration.html",
        {
            "authority": authority,
            "membership": membership,
            "state": membership.state if membership else rules.NOT_INVITED,
            "state_label": queries.STATE_LABELS[
                membership.state if membership else rules.NOT_INVITED
            ],
            "agreement": rules.AGREEMENT_TITLE,
            "agreement_version": rules.AGREEMENT_VERSION,
            "services": services,
        },
    )


@staff_required
@require_POST
def accept(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    if request.POST.get("zustimmung") != "1":
        messages.error(request, _("Bitte bestätigen Sie, dass Sie die Vereinbarung annehmen."))
        return redirect("cooperation:administration", slug=slug)
    try:
        actions.accept_agreement(
            authority=authority,
            version=request.POST.get("fassung", "")[:20],
            contact_name=request.POST.get("ansprechperson", "")[:200],
            contact_email=request.POST.get("email", "")[:254],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Die Kooperationsvereinbarung ist angenommen."))
    return redirect("cooperation:administration", slug=slug)


@staff_required
@require_POST
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    try:
        actions.leave_verbund(
            authority=authority, reason=request.POST.get("grund", ""), actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Ihre Behörde ist ausgetreten; ihre Online-Dienste werden nicht mehr angeboten."),
        )
    return redirect("cooperation:administration", slug=slug)


def _fee(raw: str) -> Decimal | None:
    """An amount as people type it: 1.234,50 or 1234,5 (German) or 1234.50."""
    raw = raw.replace("€", "").replace(" ", "").strip()
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


def _days(raw: str) -> int | None:
    try:
        return int(raw.strip())
    except ValueError:
        return None


@staff_required
@require_POST
def service_activation(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    land = queries.land_of(authority)
    if land is None:
        raise Http404
    shared = _or_404(queries.get_shared_service_or_404, land, pk)
    step = request.POST.get("schritt", "freischalten")
    try:
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
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cooperation:administration", slug=slug)


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
    try:
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
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Der Förderaufruf ist eröffnet."))
    return redirect("cooperation:funding")


@operator_required
@require_POST
def decide_funding(request: HttpRequest, pk: int) -> HttpResponse:
    land = _or_404(queries.land_of_operator_or_404, request.user)
    application = _or_404(queries.get_funding_application_or_404, land, pk)
    decision = request.POST.get("entscheidung", "")
    try:
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
    except DomainError as exc:
        messages.error(request, exc.message)
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
    try:
        actions.review_district_proposal(
            proposal=proposal,
            approve=decision == "freigeben",
            note=request.POST.get("vermerk", "")[:500],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
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
    try:
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
    except DomainError as exc:
        messages.error(request, exc.message)
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
    try:
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
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cooperation:administration_funding", slug=slug)


def _partner(land: Any, key: str) -> Any:
    gebiet = queries.find_gebiet_in_land(land, key)
    found = queries.general_administration(gebiet)
    if found is None:
        raise InvalidInput(_("Für dieses Gebiet ist keine Verwaltung erfasst."), code="no_admin")
    return found


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
    try:
        actions.draft_text(
            land=land,
            service=queries.service_by_slug(request.POST.get("leistung", "")[:200]),
            authority=authority,
            field_name=request.POST.get("feld", "")[:40],
            text=request.POST.get("text", "")[:20001],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
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
    try:
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
    except DomainError as exc:
        messages.error(request, exc.message)
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
    try:
        actions.submit_text_for_review(revision=revision, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Der Text ist beim Land zur Prüfung."))
    return redirect("cooperation:administration_texts", slug=slug)


# --- the authority administration: staff, service areas, Leitweg-IDs ------------------------


@staff_required
def administration_staff(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    return render(
        request,
        "cooperation/administration_staff.html",
        {
            "authority": authority,
            "staff": queries.staff_of(authority),
            "leitweg_ids": queries.leitweg_ids_of(authority),
            "roles": queries.STAFF_ROLES,
            "invitation_days": settings.VERBUND_STAFF_INVITATION_MAX_AGE // (24 * 3600),
        },
    )


@staff_required
@require_POST
def administration_staff_save(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    try:
        membership = actions.set_staff_member(
            authority=authority,
            login=request.POST.get("konto", "")[:254],
            role=request.POST.get("rolle", ""),
            service_areas=request.POST.get("aufgaben", "")[:500],
            active=request.POST.get("aktiv") == "1",
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(name)s ist gespeichert.") % {"name": membership.user.get_username()}
        )
    return redirect("cooperation:administration_staff", slug=slug)


@staff_required
@require_POST
def administration_staff_invite(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    try:
        membership = actions.invite_staff_member(
            authority=authority,
            given_name=request.POST.get("vorname", "")[:150],
            family_name=request.POST.get("nachname", "")[:150],
            email=request.POST.get("email", "")[:254],
            role=request.POST.get("rolle", ""),
            service_areas=request.POST.get("aufgaben", "")[:500],
            base_url=request.build_absolute_uri("/"),
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Die Einladung an %(email)s ist unterwegs; der Link gilt %(days)s Tage.")
            % {
                "email": membership.user.email,
                "days": settings.VERBUND_STAFF_INVITATION_MAX_AGE // (24 * 3600),
            },
        )
    return redirect("cooperation:administration_staff", slug=slug)


@staff_required
@require_POST
def administration_staff_deactivate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    try:
        membership = _or_404(
            actions.deactivate_staff_member,
            authority=authority,
            membership_id=pk,
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s arbeitet nicht mehr für %(authority)s.")
            % {"name": membership.user.get_username(), "authority": authority.name},
        )
    return redirect("cooperation:administration_staff", slug=slug)


@staff_required
@require_POST
def administration_leitweg(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    try:
        leitweg = actions.add_authority_leitweg_id(
            authority=authority,
            value=request.POST.get("leitweg_id", "")[:46],
            contact=request.POST.get("kontakt", "")[:200],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Die Leitweg-ID %(id)s ist eingetragen.") % {"id": leitweg.value}
        )
    return redirect("cooperation:administration_staff", slug=slug)


@staff_required
@require_POST
def administration_leitweg_deactivate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    leitweg = _or_404(
        actions.deactivate_authority_leitweg_id, authority=authority, pk=pk, actor=request.user
    )
    messages.success(
        request,
        _(
            "Die Leitweg-ID %(id)s ist deaktiviert. Neue Rechnungen an sie werden abgelehnt; "
            "die bisher eingegangenen bleiben."
        )
        % {"id": leitweg.value},
    )
    return redirect("cooperation:administration_staff", slug=slug)
