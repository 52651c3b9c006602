"""Starting an application and filling in its steps: place, responsible authority,
applicant (prefilled with consent), the form's steps with their uploads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from verbund.accounts import actions as account_actions
from verbund.accounts import queries as account_queries
from verbund.accounts.types import User
from verbund.applications import (
    actions,
    extensions,
    queries,
    rendering,
    rules,
)
from verbund.applications.models import Draft
from verbund.applications.views.common import PLACE_FIELDS, _actor, _draft, _remember_draft
from verbund.authorities import queries as authority_queries
from verbund.core import attachments as attachment_checks
from verbund.core.errors import DomainError, InvalidInput, NotFound
from verbund.finder.types import Place


def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "applications/index.html",
        {"services": queries.services_with_forms(query), "query": query},
    )


def mine(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "applications/mine.html",
        {
            "drafts": queries.drafts_of(request.user),
            "submissions": queries.submissions_of(request.user),
        },
    )


def _authority_context(request: HttpRequest) -> list[Any]:
    return (
        list(authority_queries.memberships_of(request.user))
        if request.user.is_authenticated
        else []
    )


def _published_form(slug: str) -> tuple[Any, Any, Any]:
    try:
        service = queries.get_service(slug)
    except NotFound as exc:
        raise Http404(exc.message) from None
    version = queries.published_version(service)
    if version is None:
        raise Http404(_("Für diese Leistung gibt es noch kein Online-Formular."))
    return service, version, queries.form_of(version)


@dataclass(frozen=True)
class _Applicant:
    """Who applies and where: the answer of the finder and what the form prefills from it."""

    authority: Any
    responsible: Any
    prefill_context: dict[str, str]


def _render_start(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "applications/start.html", context, status=status)


def _authority_applicant(
    request: HttpRequest, service: Any, form: Any, source: Any, context: dict[str, Any]
) -> _Applicant | HttpResponse:
    """Staff apply for their own authority: the one they chose (or their only one)."""
    memberships = _authority_context(request)
    context["memberships"] = memberships
    if not request.user.is_authenticated or not memberships:
        context["needs_staff"] = True
        return _render_start(request, context, 403)
    chosen = source.get("applicant_authority", "")
    if not chosen and len(memberships) == 1:
        chosen = memberships[0].authority.slug
    context["chosen"] = chosen
    if not chosen:
        return _render_start(request, context)
    try:
        applicant = authority_queries.get_authority_for_staff_or_404(request.user, chosen)
    except NotFound:
        context["errors"]["applicant_authority"] = _("Bitte wählen Sie Ihre Behörde.")
        return _render_start(request, context, 422)
    place = Place(ags=applicant.gebiet.ags) if applicant.gebiet.level == "gemeinde" else None
    return _Applicant(
        authority=applicant,
        responsible=queries.responsibility(service=service, form=form, place=place),
        prefill_context={
            "applicant_authority.name": applicant.name,
            "applicant_authority.ars": applicant.gebiet.ars,
        },
    )


def _consented_place(request: HttpRequest, source: Any) -> tuple[str, str]:
    """PLZ and place from the Servicekonto, when the holder released them for this form
    (once-only): the consent is read here and used up when the application begins."""
    token = source.get("prefill_consent", "")
    if not token or not isinstance(request.user, User):
        return "", ""
    consent = account_queries.usable_prefill_consent(user=request.user, token=token)
    if consent is None or "postal_code" not in consent.fields:
        return "", ""
    profile = account_queries.profile_of(request.user)
    city = profile.city if "city" in consent.fields else ""
    return str(profile.postal_code or ""), str(city or "")


def _citizen_applicant(
    request: HttpRequest, service: Any, form: Any, source: Any, context: dict[str, Any]
) -> _Applicant | HttpResponse:
    """A citizen's place: the finder's answer (`ags`), a typed PLZ, or the Servicekonto's."""
    plz, ags, ort = (context[k] for k in ("plz", "ags", "ort"))
    if not (plz or ags) and "plz" not in source:
        plz, ort = _consented_place(request, source)
        context.update(plz=plz, ort=ort, from_profile_place=bool(plz))
    if not (plz or ags):
        _profile_offer(request, service, form, context)
        if "plz" in source:
            # The form was sent with an empty PLZ: say so instead of showing it again.
            context["errors"]["plz"] = _("Bitte geben Sie die Postleitzahl Ihres Wohnorts ein.")
            return _render_start(request, context, 422)
        return _render_start(request, context)
    try:
        responsible = queries.responsibility(
            service=service,
            form=form,
            place=Place(ags=ags or None, plz=plz or None, ort=ort or None),
        )
    except DomainError as exc:
        context["errors"]["plz"] = exc.message
        return _render_start(request, context, 422)
    return _Applicant(
        authority=None,
        responsible=responsible,
        prefill_context={"place.name": responsible.gemeinde_name, "place.plz": plz},
    )


def _begin(
    request: HttpRequest,
    *,
    service: Any,
    version: Any,
    form: Any,
    applicant: _Applicant,
    offer: list[str],
    context: dict[str, Any],
) -> HttpResponse:
    """Start the draft, with the place, and the profile values the holder released."""
    consent_token = request.POST.get("prefill_consent", "") if offer else ""
    responsible = applicant.responsible
    try:
        with transaction.atomic():
            data = rendering.prefill(form, applicant.prefill_context)
            prefilled: dict[str, Any] = {}
            if consent_token:
                assert isinstance(request.user, User)
                released = account_actions.prefill_for(
                    user=request.user, fields=offer, consent_token=consent_token
                )
                from_profile, prefilled = rendering.profile_prefill(form, released.values)
                data = {**from_profile, **data}
            draft, token = actions.start_draft(
                service=service,
                version=version,
                responsible=responsible,
                place_ags=context["ags"],
                place_plz=context["plz"],
                place_name=responsible.gemeinde_name or context["ort"],
                owner=request.user,
                applicant_authority=applicant.authority,
                prefill=data,
                prefilled=prefilled,
                actor=_actor(request),
            )
    except InvalidInput as exc:
        if exc.code != "prefill_consent_required":
            raise
        context["prefill_consent"] = ""
        context["errors"]["prefill"] = _(
            "Ihre Einwilligung zum Vorausfüllen ist abgelaufen oder wurde schon verwendet. "
            "Bitte erteilen Sie sie erneut oder beginnen Sie ohne Vorausfüllen."
        )
        return _render_start(request, context, 422)
    _remember_draft(request, draft, token)
    return redirect("applications:step", draft_id=draft.pk, step=1)


def start(request: HttpRequest, slug: str) -> HttpResponse:
    """Where does the applicant live (or which authority applies)? Then who is responsible,
    and with the holder's consent the Servicekonto's values; then the draft begins."""
    service, version, form = _published_form(slug)
    source = request.POST if request.method == "POST" else request.GET
    context: dict[str, Any] = {"service": service, "form": form, "errors": {}}
    context.update({k: source.get(k, "").strip() for k in ("plz", "ags", "ort")})
    if form.applicant == "authority":
        found = _authority_applicant(request, service, form, source, context)
    else:
        found = _citizen_applicant(request, service, form, source, context)
    if isinstance(found, HttpResponse):
        return found
    responsible = context["responsible"] = found.responsible
    if responsible.authority is None:
        status = 200 if responsible.is_ambiguous else 422
        return _render_start(request, context, status)
    if not extensions.online_offered(service, responsible.authority):
        context["not_online"] = queries.not_online_note(responsible.authority)
        return _render_start(request, context, 409 if request.method == "POST" else 200)
    offer = _profile_offer(request, service, form, context)
    if request.method != "POST" or "begin" not in request.POST:
        return _render_start(request, context)
    return _begin(
        request,
        service=service,
        version=version,
        form=form,
        applicant=found,
        offer=offer,
        context=context,
    )


def _profile_offer(
    request: HttpRequest, service: Any, form: Any, context: dict[str, Any]
) -> list[str]:
    """Offer to prefill from the Servicekonto: only for a logged-in holder, only for forms
    that name profile fields, and only with a consent given for this one use (the consent
    page in `accounts` returns here with `prefill_consent`)."""
    fields = rendering.profile_fields(form)
    if not fields or form.applicant == "authority" or not request.user.is_authenticated:
        return []
    source = request.POST if request.method == "POST" else request.GET
    token = source.get("prefill_consent", "")
    back = {k: context[k] for k in ("plz", "ags", "ort") if context.get(k)}
    here = f"{request.path}?{urlencode(back)}" if back else request.path
    # Without a place yet, the Servicekonto's PLZ and place answer "where" as well.
    asked = fields if back else [*fields, *(f for f in PLACE_FIELDS if f not in fields)]
    context["prefill_consent"] = token
    context["prefill_offer_url"] = (
        reverse("accounts:prefill_consent")
        + "?"
        + urlencode(
            {
                "fields": ",".join(asked),
                "purpose": _("Online-Antrag: %(service)s") % {"service": service.name},
                "next": here,
            }
        )
    )
    return fields


def _progress(form: Any, current: int) -> list[dict[str, Any]]:
    steps = [{"number": i + 1, "title": s.title} for i, s in enumerate(form.steps)]
    steps.append({"number": len(form.steps) + 1, "title": _("Zusammenfassung")})
    for entry in steps:
        entry["current"] = entry["number"] == current
        entry["done"] = entry["number"] < current
    return steps


def _store_uploads(
    request: HttpRequest, draft: Draft, posted: Any, data: dict[str, Any], errors: dict[str, str]
) -> None:
    """Check and keep each uploaded file; a refused file becomes the error of its field.
    Each file in its own savepoint, so a refused one leaves the step's transaction usable."""
    for upload in posted.uploads:
        content = upload.file.read(min(upload.file.size or 0, request_limit()) + 1)
        try:
            with transaction.atomic():
                attachment = actions.attach_file(
                    draft=draft,
                    path=upload.path,
                    filename=upload.file.name or "datei",
                    content=content,
                    accept=upload.field.accept,
                    actor=_actor(request),
                )
        except DomainError as exc:
            errors[upload.path] = exc.message
            continue
        _set_path(
            data,
            upload.path,
            {
                "attachment": str(attachment.pk),
                "filename": attachment.filename,
                "media_type": attachment.media_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
            },
        )


def _save_step(request: HttpRequest, draft: Draft, posted: Any, step: int) -> dict[str, str]:
    """Removed files, new files and the entered values in one transaction: when any part
    fails, the draft stays as it was before the request."""
    errors = dict(posted.errors)
    with transaction.atomic():
        for attachment_id in posted.removed:
            actions.remove_attachment(
                draft=draft, attachment_id=attachment_id, actor=_actor(request)
            )
        _store_uploads(request, draft, posted, posted.data, errors)
        actions.save_draft(draft=draft, data=posted.data, step=step, actor=_actor(request))
    return errors


def _after_save(
    request: HttpRequest, draft: Draft, form: Any, step: int, action: str, errors: dict[str, str]
) -> HttpResponse | None:
    """Where a saved step leads: back, stay (saved), on, or nowhere (show the step again)."""
    if action == "back":
        return redirect("applications:step", draft_id=draft.pk, step=max(1, step - 1))
    if action == "save":
        messages.success(request, _("Ihre Angaben sind gespeichert."))
        return redirect("applications:step", draft_id=draft.pk, step=step)
    if action == "next" and not errors:
        if step == len(form.steps):
            return redirect("applications:summary", draft_id=draft.pk)
        return redirect("applications:step", draft_id=draft.pk, step=step + 1)
    return None


def step(request: HttpRequest, draft_id: Any, step: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    form = queries.form_of(draft.form_version)
    if not 1 <= step <= len(form.steps):
        raise Http404(_("Diesen Schritt gibt es nicht."))
    current = form.steps[step - 1]
    errors: dict[str, str] = {}
    raw: dict[str, str] = {}
    data = draft.data
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "next")
        posted = rendering.read_step(form, current, request.POST, request.FILES, draft.data, action)
        data, raw = posted.data, posted.raw
        errors = _save_step(request, draft, posted, step)
        if action == "next":
            errors = {**rules.validate(form, data, step_ids=(current.id,)), **errors}
        if done := _after_save(request, draft, form, step, action, errors):
            return done
        if action == "next":
            status = 422
        else:
            errors = {k: v for k, v in errors.items() if k in posted.errors or k in raw}
    nodes = rendering.describe_step(form, current, data, errors, raw, draft.prefilled)
    return render(
        request,
        "applications/step.html",
        {
            "draft": draft,
            "form": form,
            "step": current,
            "number": step,
            "total": len(form.steps) + 1,
            "progress": _progress(form, step),
            "nodes": nodes,
            "errors": [
                {"anchor": "id-" + rendering.html_name(path), "message": message}
                for path, message in errors.items()
            ],
            "limits": {
                "types": attachment_checks.allowed_types_label(),
                "mb": request_limit() // 1024 // 1024,
            },
        },
        status=status,
    )


def request_limit() -> int:
    from django.conf import settings

    return int(settings.VERBUND_ATTACHMENT_MAX_BYTES)


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target: Any = data
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
    target[parts[-1]] = value
