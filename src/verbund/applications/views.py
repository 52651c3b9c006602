"""The citizen's path: pick a place, see who is responsible, fill in the form step by step,
check the summary, submit, get the receipt; and the status page. Thin views: the work is in
actions, queries, rules and rendering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from verbund.accounts import actions as account_actions
from verbund.accounts import queries as account_queries
from verbund.accounts.types import User
from verbund.applications import (
    access_codes,
    actions,
    extensions,
    queries,
    receipts,
    rendering,
    rules,
)
from verbund.applications.models import Draft, Payment, Submission
from verbund.authorities import queries as authority_queries
from verbund.core import attachments as attachment_checks
from verbund.core.errors import DomainError, InvalidInput, NotFound
from verbund.finder.types import Place

DRAFTS = "applications.drafts"
PLACE_FIELDS = ("postal_code", "city")
SUBMITTED = "applications.submitted"


def _actor(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else "antragsteller"


def _remember_draft(request: HttpRequest, draft: Draft, token: str) -> None:
    tokens = dict(request.session.get(DRAFTS, {}))
    tokens[str(draft.pk)] = token
    request.session[DRAFTS] = tokens


def _draft(request: HttpRequest, draft_id: Any) -> Draft:
    try:
        return queries.get_draft(draft_id, user=request.user, tokens=request.session.get(DRAFTS))
    except NotFound as exc:
        raise Http404(exc.message) from None


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


def _to_receipt(request: HttpRequest, submission: Submission, secret: str) -> HttpResponse:
    """Remember the submission (and its access code, shown once) in the session and go on
    to the receipt, or to the payment first. The draft's token stays in the session: a
    repeated submit of the draft finds the submission by it."""
    numbers = [n for n in request.session.get(SUBMITTED, []) if n != submission.vorgangsnummer]
    request.session[SUBMITTED] = [*numbers[-19:], submission.vorgangsnummer]
    request.session[f"applications.secret.{submission.vorgangsnummer}"] = secret
    if submission.status == Submission.Status.AWAITING_PAYMENT:
        return redirect("applications:pay", number=submission.vorgangsnummer)
    return redirect("applications:receipt", number=submission.vorgangsnummer)


def _already_submitted(request: HttpRequest, draft_id: Any) -> HttpResponse | None:
    """A repeated "Antrag absenden" (double click, reload) of a draft that is a submission
    now: the receipt of the first, not a 404."""
    found = queries.submission_of_draft(
        draft_id, user=request.user, tokens=request.session.get(DRAFTS)
    )
    return _to_receipt(request, *found) if found else None


def _check_receipt_email(email: str) -> None:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if not email:
        return
    try:
        validate_email(email)
    except ValidationError:
        message = _("Bitte geben Sie eine gültige E-Mail-Adresse an oder lassen Sie das Feld leer.")
        raise InvalidInput(message, code="email_invalid", errors={"email": message}) from None


def _deliver_receipt(request: HttpRequest, submission: Submission, secret: str, email: str) -> None:
    """The receipt where the applicant finds it again: in the account's Postfach at once
    (with the PDF), or for an applicant without an account by e-mail (number and access
    code) when an address was given; that address also gets the Postfach's notices."""
    kept = receipts.kept_in_session(request.session, submission.vorgangsnummer)
    number = submission.vorgangsnummer
    try:
        if request.user.is_authenticated:
            pdf = receipts.render_receipt_pdf(submission, {**kept, "secret": ""})
            extensions.deliver_receipt_to_postfach(
                submission=submission,
                subject=_("Eingangsbestätigung zu Ihrem Antrag %(number)s") % {"number": number},
                body=receipts.receipt_text(submission),
                filename=f"Eingangsbestaetigung-{number}.pdf",
                pdf=pdf,
            )
        elif email and secret:
            with transaction.atomic():
                extensions.set_notification_address(submission=submission, email=email)
                receipts.mail_access_code(submission=submission, email=email, secret=secret)
    except DomainError as exc:  # the receipt page still shows everything
        messages.warning(request, exc.message)


def summary(request: HttpRequest, draft_id: Any) -> HttpResponse:
    if request.method == "POST" and (done := _already_submitted(request, draft_id)):
        return done
    try:
        draft = _draft(request, draft_id)
    except Http404:
        # Submitted by a parallel click since the look above.
        if request.method == "POST" and (done := _already_submitted(request, draft_id)):
            return done
        raise
    form = queries.form_of(draft.form_version)
    errors: dict[str, str] = {}
    status = 200
    email = request.POST.get("email", "").strip()[:254]
    if request.method == "POST":
        sections = rendering.summarise(form, draft.data, draft.prefilled)
        try:
            _check_receipt_email(email)
            receipt = actions.submit_draft(
                draft=draft, consent=bool(request.POST.get("consent")), actor=_actor(request)
            )
        except InvalidInput as exc:
            errors = dict(exc.extra.get("errors") or {"consent": exc.message})
            status = 422
        except NotFound as exc:  # submitted in parallel (double click)
            if done := _already_submitted(request, draft_id):
                return done
            raise Http404(exc.message) from None
        else:
            receipts.keep_in_session(
                request.session,
                receipt.submission.vorgangsnummer,
                secret=receipt.secret,
                sections=sections,
            )
            _deliver_receipt(request, receipt.submission, receipt.secret, email)
            return _to_receipt(request, receipt.submission, receipt.secret)
    form_errors = errors or rules.validate(form, draft.data)
    fee = rules.calculate_fee(form, rules.clean(form, draft.data))
    step_of: dict[str, int] = {}
    for index, form_step in enumerate(form.steps):
        for path in form_errors:
            if path.split(".")[0] in {i.id for i in form_step.items} or any(
                path.split(".")[0] in {c.id for c in getattr(i, "items", ())}
                for i in form_step.items
            ):
                step_of.setdefault(path, index + 1)
    return render(
        request,
        "applications/summary.html",
        {
            "draft": draft,
            "form": form,
            "sections": rendering.summarise(form, draft.data, draft.prefilled),
            "fee": fee,
            "fee_lines": [(line.label, rules.format_money(line.amount)) for line in fee.lines],
            "fee_total": rules.format_money(fee.total),
            "errors": [
                {
                    "message": message,
                    "step": step_of.get(path, 1),
                    "consent": path == "consent",
                    "anchor": "id-email" if path == "email" else "",
                }
                for path, message in form_errors.items()
            ],
            "consent_error": errors.get("consent", ""),
            "email": email,
            "email_error": errors.get("email", ""),
            "anonymous": not request.user.is_authenticated,
            "progress": _progress(form, len(form.steps) + 1),
            "number": len(form.steps) + 1,
            "total": len(form.steps) + 1,
        },
        status=status,
    )


def save_for_later(request: HttpRequest, draft_id: Any) -> HttpResponse:
    draft = _draft(request, draft_id)
    error = ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            error = _("Bitte geben Sie eine gültige E-Mail-Adresse ein.")
        else:
            token = actions.send_resume_link(
                draft=draft,
                email=email,
                link_for=lambda token: request.build_absolute_uri(
                    reverse("applications:resume", args=[draft.pk, token])
                ),
                actor=_actor(request),
            )
            _remember_draft(request, draft, token)
            messages.success(
                request,
                _("Wir haben Ihnen einen Link zum Fortsetzen an %(email)s gesendet.")
                % {"email": email},
            )
            return redirect("applications:step", draft_id=draft.pk, step=max(1, draft.step))
    return render(
        request,
        "applications/save_for_later.html",
        {"draft": draft, "error": error},
        status=422 if error else 200,
    )


def resume(request: HttpRequest, draft_id: Any, token: str) -> HttpResponse:
    try:
        draft = queries.get_draft(draft_id, user=request.user, token=token)
    except NotFound as exc:
        raise Http404(exc.message) from None
    _remember_draft(request, draft, token)
    return redirect("applications:step", draft_id=draft.pk, step=max(1, draft.step))


def _submission(request: HttpRequest, number: str) -> Submission:
    try:
        return queries.get_submission_for_applicant(
            number, user=request.user, session_numbers=request.session.get(SUBMITTED, [])
        )
    except NotFound as exc:
        raise Http404(exc.message) from None


def receipt(request: HttpRequest, number: str) -> HttpResponse:
    submission = _submission(request, number)
    secret = request.session.pop(f"applications.secret.{submission.vorgangsnummer}", "")
    secret = secret or receipts.kept_in_session(request.session, number)["secret"]
    return render(
        request,
        "applications/receipt.html",
        {
            "submission": submission,
            "secret": access_codes.format_access_code(secret) if secret else "",
            "processing_time": queries.processing_time(submission),
            "fee_total": rules.format_money(submission.fee_total),
            "payments": submission.payments.order_by("-created_at"),
            "statuses": _status_steps(submission),
        },
    )


def _status_steps(submission: Submission) -> list[dict[str, Any]]:
    order = [
        Submission.Status.RECEIVED,
        Submission.Status.FORWARDED,
        Submission.Status.IN_PROGRESS,
        Submission.Status.INFORMATION_NEEDED,
        Submission.Status.DECIDED,
        Submission.Status.REJECTED,
        Submission.Status.CLOSED,
    ]
    # Forwarding and rejection are detours: shown only when the case took them.
    detours = {Submission.Status.FORWARDED, Submission.Status.REJECTED}
    return [
        {"label": status.label, "current": submission.status == status}
        for status in order
        if status not in detours or submission.status == status
    ]


def receipt_pdf(request: HttpRequest, number: str) -> HttpResponse:
    submission = _submission(request, number)
    pdf = receipts.render_receipt_pdf(
        submission, receipts.kept_in_session(request.session, submission.vorgangsnummer)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="Eingangsbestaetigung-{submission.vorgangsnummer}.pdf"'
    )
    return response


def status_lookup(request: HttpRequest) -> HttpResponse:
    error = ""
    number = request.POST.get("vorgangsnummer", "").strip().upper()
    status = 200
    if request.method == "POST":
        # The same throttle as the anonymous Postfach: per client and number, per client.
        ip_address = request.META.get("REMOTE_ADDR") or None
        if extensions.access_blocked(vorgangsnummer=number, ip_address=ip_address):
            error = _("Zu viele erfolglose Versuche. Bitte versuchen Sie es später erneut.")
            status = 429
        else:
            try:
                submission = queries.get_submission_for_applicant(
                    number, user=request.user, secret=request.POST.get("zugangscode", "")
                )
            except NotFound as exc:
                extensions.record_access_failure(vorgangsnummer=number, ip_address=ip_address)
                error, status = exc.message, 404
            else:
                numbers = list(request.session.get(SUBMITTED, []))
                request.session[SUBMITTED] = [*numbers[-19:], submission.vorgangsnummer]
                return redirect("applications:receipt", number=submission.vorgangsnummer)
    return render(
        request,
        "applications/status_lookup.html",
        {"error": error, "number": number},
        status=status,
    )


def pay(request: HttpRequest, number: str) -> HttpResponse:
    submission = _submission(request, number)
    if request.method == "POST" or submission.status == Submission.Status.AWAITING_PAYMENT:
        if submission.status != Submission.Status.AWAITING_PAYMENT:
            return redirect("applications:receipt", number=number)
        if request.method == "POST":
            try:
                _payment, url = actions.request_payment(
                    submission=submission,
                    redirect_url=request.build_absolute_uri(
                        reverse("applications:payment_return", args=[number])
                    ),
                    actor=_actor(request),
                )
            except DomainError as exc:
                return render(
                    request,
                    "applications/pay.html",
                    {
                        "submission": submission,
                        "fee_total": rules.format_money(submission.fee_total),
                        "error": exc.message,
                    },
                    status=exc.status,
                )
            return HttpResponseRedirect(url)
    return render(
        request,
        "applications/pay.html",
        {"submission": submission, "fee_total": rules.format_money(submission.fee_total)},
    )


def payment_return(request: HttpRequest, number: str) -> HttpResponse:
    """Where the payment provider sends the payer back. The return itself proves nothing:
    the newest payment's status is asked from the provider, then the receipt shows it."""
    submission = _submission(request, number)
    payment = submission.payments.order_by("-created_at").first()
    if payment is not None:
        try:
            actions.refresh_payment(payment=payment, actor=_actor(request))
        except DomainError as exc:
            messages.warning(request, exc.message)
    return redirect("applications:receipt", number=number)


@csrf_exempt
@require_POST
def payment_notification(request: HttpRequest) -> HttpResponse:
    """The provider's server-to-server notification: with a valid signature it makes Verbund
    ask the provider for the status (the notification's content is never believed)."""
    from django.http import JsonResponse

    from verbund.integrations.payment import SIGNATURE_HEADER

    try:
        payment = actions.handle_payment_notification(
            raw_body=request.body,
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            actor="bezahldienst",
        )
    except DomainError as exc:
        return JsonResponse(
            {"type": "about:blank", "title": exc.message, "status": exc.status, "code": exc.code},
            status=exc.status,
            content_type="application/problem+json",
        )
    return JsonResponse({"requestId": payment.request_id, "status": payment.status})


def test_payment(request: HttpRequest, request_id: str) -> HttpResponse:
    """The built-in test provider's page: pay or cancel; then it signs the callback."""
    payment = Payment.objects.select_related("submission").filter(request_id=request_id).first()
    if payment is None or payment.provider != "test":
        raise Http404(_("Unbekannte Zahlung."))
    if request.method == "POST":
        outcome = "PAYED" if request.POST.get("outcome") == "pay" else "CANCELED"
        body, signature = actions.signed_test_callback(payment=payment, status=outcome)
        actions.apply_payment_callback(
            raw_body=body, signature=signature, actor="test-bezahldienst"
        )
        return redirect("applications:receipt", number=payment.submission.vorgangsnummer)
    return render(
        request,
        "applications/test_payment.html",
        {"payment": payment, "amount": rules.format_money(payment.amount)},
    )


@csrf_exempt
@require_POST
def payment_callback(request: HttpRequest) -> HttpResponse:
    """The provider's server-to-server message; believed only with a valid HMAC signature."""
    from django.http import JsonResponse

    from verbund.integrations.payment import SIGNATURE_HEADER

    try:
        payment = actions.apply_payment_callback(
            raw_body=request.body,
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            actor="bezahldienst",
        )
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "detail": exc.message}, status=400)
    return JsonResponse({"requestId": payment.request_id, "status": payment.status})
