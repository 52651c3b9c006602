"""The Land console, joining and leaving, and a member's staff and Leitweg-IDs."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from verbund.accounts.access import operator_required, staff_required
from verbund.cooperation import actions, queries, rules
from verbund.cooperation.views.common import _or_404, reporting_errors
from verbund.core.errors import DomainError

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
    with reporting_errors(request):
        actions.accept_agreement(
            authority=authority,
            version=request.POST.get("fassung", "")[:20],
            contact_name=request.POST.get("ansprechperson", "")[:200],
            contact_email=request.POST.get("email", "")[:254],
            actor=request.user,
        )
        messages.success(request, _("Die Kooperationsvereinbarung ist angenommen."))
    return redirect("cooperation:administration", slug=slug)


@staff_required
@require_POST
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    with reporting_errors(request):
        actions.leave_verbund(
            authority=authority, reason=request.POST.get("grund", ""), actor=request.user
        )
        messages.success(
            request,
            _("Ihre Behörde ist ausgetreten; ihre Online-Dienste werden nicht mehr angeboten."),
        )
    return redirect("cooperation:administration", slug=slug)


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
    with reporting_errors(request):
        membership = actions.set_staff_member(
            authority=authority,
            login=request.POST.get("konto", "")[:254],
            role=request.POST.get("rolle", ""),
            service_areas=request.POST.get("aufgaben", "")[:500],
            active=request.POST.get("aktiv") == "1",
            actor=request.user,
        )
        messages.success(
            request, _("%(name)s ist gespeichert.") % {"name": membership.user.get_username()}
        )
    return redirect("cooperation:administration_staff", slug=slug)


@staff_required
@require_POST
def administration_staff_invite(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _or_404(queries.authority_for_admin_or_404, request.user, slug)
    with reporting_errors(request):
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
    with reporting_errors(request):
        membership = _or_404(
            actions.deactivate_staff_member,
            authority=authority,
            membership_id=pk,
            actor=request.user,
        )
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
    with reporting_errors(request):
        leitweg = actions.add_authority_leitweg_id(
            authority=authority,
            value=request.POST.get("leitweg_id", "")[:46],
            contact=request.POST.get("kontakt", "")[:200],
            actor=request.user,
        )
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
