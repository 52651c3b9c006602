"""The citizen's path: pick a place, see who is responsible, fill in the form step by step,
check the summary, submit, get the receipt; and the status page. Thin views: the work is in
actions, queries, rules and rendering."""

from __future__ import annotations

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
from verbund.accounts.types import User
from verbund.applications import actions, extensions, queries, receipts, rendering, rules
from verbund.applications.models import Draft, Payment, Submission
from verbund.authorities import queries as authority_queries
from verbund.core import attachments as attachment_checks
from verbund.core.errors import DomainError, InvalidInput, NotFound
from verbund.finder.types import Place

DRAFTS = "applications.drafts"
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


def start(request: HttpRequest, slug: str) -> HttpResponse:
    """Where does the applicant live (or which authority applies)? Then who is responsible."""
    try:
        service = queries.get_service(slug)
    except NotFound as exc:
        raise Http404(exc.message) from None
    version = queries.published_version(service)
    if version is None:
        raise Http404(_("Für diese Leistung gibt es noch kein Online-Formular."))
    form = queries.form_of(version)
    context: dict[str, Any] = {"service": service, "form": form, "errors": {}}
    source = request.POST if request.method == "POST" else request.GET
    plz = source.get("plz", "").strip()
    ags = source.get("ags", "").strip()
    ort = source.get("ort", "").strip()
    context.update(plz=plz, ags=ags, ort=ort)
    if form.applicant == "authority":
        memberships = _authority_context(request)
        context["memberships"] = memberships
        if not request.user.is_authenticated or not memberships:
            context["needs_staff"] = True
            return render(request, "applications/start.html", context, status=403)
        chosen = source.get("applicant_authority", "")
        if not chosen and len(memberships) == 1:
            chosen = memberships[0].authority.slug
        context["chosen"] = chosen
        if not chosen:
            return render(request, "applications/start.html", context)
        try:
            applicant = authority_queries.get_authority_for_staff_or_404(request.user, chosen)
        except NotFound:
            context["errors"]["applicant_authority"] = _("Bitte wählen Sie Ihre Behörde.")
            return render(request, "applications/start.html", context, status=422)
        place = Place(ags=applicant.gebiet.ags) if applicant.gebiet.level == "gemeinde" else None
        responsible = queries.responsibility(service=service, form=form, place=place)
        prefill_context = {
            "applicant_authority.name": applicant.name,
            "applicant_authority.ars": applicant.gebiet.ars,
        }
    else:
        applicant = None
        if not (plz or ags):
            if "plz" in source:
                # The form was sent with an empty PLZ: say so instead of showing it again.
                context["errors"]["plz"] = _("Bitte geben Sie die Postleitzahl Ihres Wohnorts ein.")
                return render(request, "applications/start.html", context, status=422)
            return render(request, "applications/start.html", context)
        try:
            responsible = queries.responsibility(
                service=service,
                form=form,
                place=Place(ags=ags or None, plz=plz or None, ort=ort or None),
            )
        except DomainError as exc:
            context["errors"]["plz"] = exc.message
            return render(request, "applications/start.html", context, status=422)
        prefill_context = {"place.name": responsible.gemeinde_name, "place.plz": plz}
    context["responsible"] = responsible
    if responsible.authority is None:
        status = 200 if responsible.is_ambiguous else 422
        return render(request, "applications/start.html", context, status=status)
    if not extensions.online_offered(service, responsible.authority):
        context["not_online"] = queries.not_online_note(responsible.authority)
        status = 409 if request.method == "POST" else 200
        return render(request, "applications/start.html", context, status=status)
    offer = _profile_offer(request, service, form, context)
    if request.method != "POST" or "begin" not in request.POST:
        return render(request, "applications/start.html", context)
    consent_token = request.POST.get("prefill_consent", "") if offer else ""
    try:
        with transaction.atomic():
            data = rendering.prefill(form, prefill_context)
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
                place_ags=ags,
                place_plz=plz,
                place_name=responsible.gemeinde_name or ort,
                owner=request.user,
                applicant_authority=applicant,
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
        return render(request, "applications/start.html", context, status=422)
    _remember_draft(request, draft, token)
    return redirect("applications:step", draft_id=draft.pk, step=1)


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
    context["prefill_consent"] = token
    context["prefill_offer_url"] = (
        reverse("accounts:prefill_consent")
        + "?"
        + urlencode(
            {
                "fields": ",".join(fields),
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
        data, errors, raw = posted.data, dict(posted.errors), posted.raw
        for attachment_id in posted.removed:
            actions.remove_attachment(
                draft=draft, attachment_id=attachment_id, actor=_actor(request)
            )
        for upload in posted.uploads:
            content = upload.file.read(min(upload.file.size or 0, request_limit()) + 1)
            try:
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
        actions.save_draft(draft=draft, data=data, step=step, actor=_actor(request))
        if action == "next":
            errors = {**rules.validate(form, data, step_ids=(current.id,)), **errors}
        if action == "back":
            return redirect("applications:step", draft_id=draft.pk, step=max(1, step - 1))
        if action == "save":
            messages.success(request, _("Ihre Angaben sind gespeichert."))
            return redirect("applications:step", draft_id=draft.pk, step=step)
        if action == "next" and not errors:
            if step == len(form.steps):
                return redirect("applications:summary", draft_id=draft.pk)
            return redirect("applications:step", draft_id=draft.pk, step=step + 1)
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
    if request.method == "POST":
        try:
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
                }
                for path, message in form_errors.items()
            ],
            "consent_error": errors.get("consent", ""),
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
    return render(
        request,
        "applications/receipt.html",
        {
            "submission": submission,
            "secret": secret,
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
    pdf = receipts.render_receipt_pdf(submission)
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
