"""Pages of the Postfach: for account holders, and for applicants without an account who
open their case's Postfach with Vorgangsnummer and access code. Thin: queries check
access, actions write."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from verbund.core.errors import DomainError, NotFound
from verbund.mailbox import actions, forms, queries
from verbund.mailbox.models import Message

ANONYMOUS_GRANTS = "mailbox.anonymous"


def _client_ip(request: HttpRequest) -> str | None:
    # As in accounts: the proxy sets REMOTE_ADDR; no forwarded header is trusted here.
    return request.META.get("REMOTE_ADDR") or None


def _form_errors(form: Any, exc: DomainError) -> None:
    errors = exc.extra.get("errors") or {}
    for field, problem in errors.items():
        for text in problem if isinstance(problem, list) else [problem]:
            form.add_error(field if field in form.fields else None, text)
    if not errors:
        form.add_error(None, exc.message)


def _mark_invalid(form: Any) -> None:
    """Tie each field's hint and error to its input for screen readers (aria-invalid,
    -describedby), with the ids the template gives them (not Django's `_helptext`)."""
    for field in form:
        described = [f"{field.id_for_label}-hint"] if field.help_text else []
        attrs = field.field.widget.attrs
        if field.name in form.errors:
            described.append(f"{field.id_for_label}-error")
            attrs["aria-invalid"] = "true"
        if described:
            attrs["aria-describedby"] = " ".join(described)


def _download(content: bytes, *, filename: str, media_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _message_page(
    request: HttpRequest,
    message: Message,
    *,
    reader: Any,
    urls: dict[str, Any],
    after_reply: str,
) -> HttpResponse:
    """Show a message (recording the read receipt) and take a reply."""
    actions.mark_read(message=message, reader=reader)
    form = forms.ReplyForm()
    status = 200
    if request.method == "POST":
        form = forms.ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                actions.reply_to_message(
                    message=message,
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                    actor_or_none=reader,
                )
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                flash.success(
                    request, _("Ihre Antwort wurde verschlüsselt an die Behörde gesendet.")
                )
                return redirect(after_reply)
        status = 422
    _mark_invalid(form)
    return render(
        request,
        "mailbox/message.html",
        {
            "message": message,
            "attachments": queries.attachments_of(message),
            "replies": queries.replies_to(message),
            "form": form,
            **urls,
        },
        status=status,
    )


# --- account holders ------------------------------------------------------------------------


@login_required
@never_cache
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "mailbox/index.html",
        {
            "messages_list": queries.messages_for_holder(request.user),
            "message_url": "mailbox:message",
            "anonymous_number": "",
        },
    )


def _holder_message(request: HttpRequest, pk: Any) -> Message:
    try:
        return queries.get_message_for_holder_or_404(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


@login_required
@never_cache
def message(request: HttpRequest, pk: Any) -> HttpResponse:
    found = _holder_message(request, pk)
    return _message_page(
        request,
        found,
        reader=request.user,
        urls={"back_url": reverse("mailbox:index"), "attachment_url": "mailbox:attachment"},
        after_reply=reverse("mailbox:message", args=[found.pk]),
    )


@login_required
@never_cache
def attachment(request: HttpRequest, pk: Any, attachment_id: Any) -> HttpResponse:
    found = _holder_message(request, pk)
    try:
        item = queries.get_attachment_or_404(found, attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return _download(
        queries.read_attachment(item), filename=item.filename, media_type=item.media_type
    )


# --- applicants without an account ----------------------------------------------------------


@never_cache
def anonymous_access(request: HttpRequest) -> HttpResponse:
    form = forms.AnonymousAccessForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            number = form.cleaned_data["vorgangsnummer"].strip().upper()
            throttle = queries.anonymous_access_throttle(
                vorgangsnummer=number, ip_address=_client_ip(request)
            )
            if throttle.blocked:
                form.add_error(
                    None,
                    _(
                        "Zu viele erfolglose Versuche. Bitte versuchen Sie es nach "
                        "%(time)s Uhr erneut."
                    )
                    % {"time": _local_time(throttle.retry_at)},
                )
                status = 429
            else:
                secret = form.cleaned_data["zugangscode"].strip()
                try:
                    queries.get_submission_for_anonymous(number, secret)
                except NotFound as exc:
                    actions.record_access_failure(
                        vorgangsnummer=number, ip_address=_client_ip(request)
                    )
                    form.add_error("zugangscode", exc.message)
                    status = 404
                else:
                    request.session.cycle_key()
                    grants = dict(request.session.get(ANONYMOUS_GRANTS, {}))
                    grants[number] = secret
                    request.session[ANONYMOUS_GRANTS] = dict(list(grants.items())[-5:])
                    return redirect("mailbox:anonymous_index", number=number)
    _mark_invalid(form)
    return render(request, "mailbox/anonymous_access.html", {"form": form}, status=status)


def _local_time(value: Any) -> str:
    return timezone.localtime(value).strftime("%H:%M") if value else ""


def _grant(request: HttpRequest, number: str) -> str:
    secret = str(request.session.get(ANONYMOUS_GRANTS, {}).get(number, ""))
    if not secret:
        raise Http404(_("Bitte öffnen Sie das Postfach mit Vorgangsnummer und Zugangscode."))
    return secret


@never_cache
def anonymous_index(request: HttpRequest, number: str) -> HttpResponse:
    secret = _grant(request, number)
    try:
        submission = queries.get_submission_for_anonymous(number, secret)
        listed = queries.messages_for_anonymous(number, secret)
    except NotFound as exc:
        raise Http404(exc.message) from None
    email_form = forms.NotificationEmailForm(
        request.POST or None, initial={"email": queries.notification_email_of(submission)}
    )
    status = 200
    if request.method == "POST":
        status = 422
        if email_form.is_valid():
            try:
                actions.set_notification_email(
                    submission=submission, email=email_form.cleaned_data["email"], actor=None
                )
            except DomainError as exc:
                _form_errors(email_form, exc)
            else:
                flash.success(request, _("Ihre Angabe zur Benachrichtigung ist gespeichert."))
                return redirect("mailbox:anonymous_index", number=number)
    _mark_invalid(email_form)
    return render(
        request,
        "mailbox/index.html",
        {
            "messages_list": listed,
            "submission": submission,
            "anonymous_number": number,
            "email_form": email_form,
        },
        status=status,
    )


@never_cache
def anonymous_message(request: HttpRequest, number: str, pk: Any) -> HttpResponse:
    secret = _grant(request, number)
    try:
        found = queries.get_message_for_anonymous_or_404(number, secret, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return _message_page(
        request,
        found,
        reader=None,
        urls={
            "back_url": reverse("mailbox:anonymous_index", args=[number]),
            "anonymous_number": number,
        },
        after_reply=reverse("mailbox:anonymous_message", args=[number, found.pk]),
    )


@never_cache
def anonymous_attachment(
    request: HttpRequest, number: str, pk: Any, attachment_id: Any
) -> HttpResponse:
    secret = _grant(request, number)
    try:
        found = queries.get_message_for_anonymous_or_404(number, secret, pk)
        item = queries.get_attachment_or_404(found, attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return _download(
        queries.read_attachment(item), filename=item.filename, media_type=item.media_type
    )
