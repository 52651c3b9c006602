"""The summary and the submission, the receipt mail, saving a draft for later and resuming it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from verbund.applications import (
    actions,
    extensions,
    queries,
    receipts,
    rendering,
    rules,
)
from verbund.applications.models import Submission
from verbund.applications.views.common import DRAFTS, SUBMITTED, _actor, _draft, _remember_draft
from verbund.applications.views.drafts import _progress
from verbund.core.errors import DomainError, InvalidInput, NotFound


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
