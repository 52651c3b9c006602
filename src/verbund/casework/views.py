"""The back office pages: inbox, case view, workflow actions, hand-off settings.

Thin views: access through `queries` (404 for anything not the staff member's), changes
through `actions`. Every page requires a staff session with verified second factor."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from verbund.accounts.access import staff_required
from verbund.applications import queries as application_queries
from verbund.applications.types import Submission
from verbund.authorities import queries as authority_queries
from verbund.casework import actions, queries, rules
from verbund.casework.models import Case, Decision
from verbund.core.attachments import safe_filename
from verbund.core.errors import DomainError, InvalidInput, NotFound


def _or_404(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _case(request: HttpRequest, number: str) -> Case:
    case: Case = _or_404(queries.get_case_for_staff_or_404, request.user, number)
    return case


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    memberships = list(
        authority_queries.memberships_of(request.user).filter(role__in=queries.CASE_ROLES)
    )
    if len(memberships) == 1:
        return redirect("casework:inbox", slug=memberships[0].authority.slug)
    return render(request, "casework/index.html", {"memberships": memberships})


@staff_required
def inbox(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _or_404(queries.membership_or_404, request.user, slug)
    filters = queries.InboxFilter(
        status=request.GET.get("status", ""),
        service=request.GET.get("service", ""),
        deadline=request.GET.get("deadline", ""),
        assignee=request.GET.get("assignee", ""),
        q=request.GET.get("q", "")[:100],
    )
    status = 200
    try:
        page = queries.inbox_page(membership, filters, cursor=request.GET.get("after", ""))
    except DomainError as exc:  # a tampered cursor or filter: say so, show the first page
        messages.error(request, exc.message)
        status = exc.status
        filters = queries.InboxFilter()
        page = queries.inbox_page(membership, filters)
    params = request.GET.copy()
    params.pop("after", None)
    if page.next_cursor:
        params["after"] = page.next_cursor
    rows = [
        {
            "submission": s,
            "case": s.case,
            "overdue": rules.is_overdue(s.case.deadline, s.status, page.today),
        }
        for s in page.rows
    ]
    return render(
        request,
        "casework/inbox.html",
        {
            "authority": membership.authority,
            "membership": membership,
            "rows": rows,
            "filters": filters,
            "next_url": f"?{params.urlencode()}" if page.next_cursor else "",
            "statuses": [(s, Submission.Status(s).label) for s in rules.BACK_OFFICE],
            "services": queries.services_of(membership),
            "colleagues": queries.colleagues(membership.authority),
        },
        status=status,
    )


@staff_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _case_page(request, _case(request, number))


# The fields of each form on the case page, so that a refusal names the field it concerns.
_FIELD_OF_CODE = {
    "body_missing": "body",
    "target_missing": "to",
    "same_authority": "to",
    "not_a_tenant": "to",
    "note_empty": "note",
    "assignee_invalid": "assignee",
    "not_colleague": "assignee",
}
_REASON_FIELD = {"weiterleiten": "forward_reason"}


def _case_page(
    request: HttpRequest,
    case: Case,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The case page; after a refused form, again with the posted values and the errors
    linked to their fields (error summary at the top)."""
    opened = None
    error = ""
    try:
        opened = queries.open_case(request.user, case)  # the one audited access of this view
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        error = exc.message
    thread = queries.thread(request.user, case)
    submission = case.submission
    values = dict(values or {})
    if opened is not None and "addressee" not in values:
        values["addressee"] = rules.addressee_from(
            opened.data, place_plz=submission.place_plz, place_name=submission.place_name
        )
    q = request.GET.get("behoerde", "")[:100]
    errors = errors or {}
    return render(
        request,
        "casework/case.html",
        {
            "case": case,
            "submission": submission,
            "opened": opened,
            "decrypt_error": error,
            "sections": application_queries.summary_for_staff(opened) if opened else [],
            "history": queries.readable_history(case),
            "notes": case.notes.select_related("author"),
            "decisions": queries.decisions(case),
            "thread": thread,
            "next_states": rules.next_states(submission.status),
            "overdue": rules.is_overdue(case.deadline, submission.status, _today()),
            "outcomes": Decision.Outcome.choices,
            "colleagues": queries.colleagues(submission.authority),
            "forward_groups": queries.forward_target_groups(case, q),
            "forward_query": q,
            "errors": errors,
            "error_list": [
                (f"id-{name.replace('_', '-')}", message) for name, message in errors.items()
            ],
            "values": values,
        },
        status=status,
    )


def _today() -> Any:
    from django.utils import timezone

    return timezone.localdate()


def _download(content: bytes, *, media_type: str, filename: str) -> HttpResponse:
    """A file to save, never to render: the header built by Django (RFC 6266; quotes, CR/LF
    and non-ASCII encoded), the file name stripped of control characters."""
    response = HttpResponse(content, content_type=media_type or "application/octet-stream")
    name = safe_filename(filename, fallback="datei")
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def attachment(request: HttpRequest, number: str, attachment_id: str) -> HttpResponse:
    case = _case(request, number)
    try:
        opened = queries.open_case(request.user, case)
    except DomainError as exc:
        raise Http404(exc.message) from None
    for item in opened.attachments:
        if item.id == attachment_id:
            return _download(item.content, media_type=item.media_type, filename=item.filename)
    raise Http404(_("Diesen Anhang gibt es nicht."))


@staff_required
def reply_attachment(
    request: HttpRequest, number: str, reply_id: str, attachment_id: str
) -> HttpResponse:
    case = _case(request, number)
    try:
        item = queries.reply_attachment(request.user, case, reply_id, attachment_id)
    except DomainError as exc:
        raise Http404(exc.message) from None
    return _download(item.content, media_type=item.media_type, filename=item.filename)


@staff_required
def decision_pdf(request: HttpRequest, number: str, decision_id: int) -> HttpResponse:
    case = _case(request, number)
    decision = queries.decisions(case).filter(pk=decision_id).first()
    if decision is None:
        raise Http404(_("Diesen Bescheid gibt es nicht."))
    try:
        pdf = queries.read_decision(request.user, case, decision)
    except DomainError as exc:
        raise Http404(exc.message) from None
    return _download(pdf, media_type="application/pdf", filename=decision.filename)


@staff_required
def export_json(request: HttpRequest, number: str) -> HttpResponse:
    return JsonResponse(queries.export_case(_case(request, number)))


@staff_required
def export_xml(request: HttpRequest, number: str) -> HttpResponse:
    return HttpResponse(
        queries.export_case_xml(_case(request, number)), content_type="application/xml"
    )


def _index_name_once(request: HttpRequest, case: Case) -> None:
    """An API submission arrives sealed, so its applicant's name enters the search index at
    the clerk's first step on the case (a POST), never when the case page is read (GET)."""
    if case.name_indexed:
        return
    try:
        opened = queries.open_case(request.user, case)
    except NotFound:
        raise
    except DomainError:
        return  # a key that needs the authority's passphrase: indexed at a later step
    actions.index_applicant_name(case=case, data=opened.data, actor=request.user)


_DONE = {
    "uebernehmen": gettext_lazy("Sie haben den Vorgang übernommen; er ist jetzt in Bearbeitung."),
    "zuweisen": gettext_lazy("Die Zuweisung wurde geändert."),
    "rueckfrage": gettext_lazy(
        "Die Rückfrage wurde in das Postfach der antragstellenden Person gesendet; "
        "der Vorgang wartet auf die Antwort."
    ),
    "entscheiden": gettext_lazy(
        "Der Bescheid wurde erlassen und in das Postfach der antragstellenden Person zugestellt."
    ),
    "abschliessen": gettext_lazy("Der Vorgang wurde abgeschlossen; die Aufbewahrungsfrist läuft."),
    "notiz": gettext_lazy("Die interne Notiz wurde gespeichert."),
}


def _decision_values(post: Any) -> dict[str, str]:
    return {name: str(post.get(name, "")) for name in ("outcome", "addressee", "text", "reasons")}


@staff_required
@require_POST
def case_action(request: HttpRequest, number: str, verb: str) -> HttpResponse:
    """One form per workflow step; each calls its action (which checks the workflow). A
    refusal shows the case page again with the message at the field it concerns."""
    case = _case(request, number)
    user = request.user
    post = request.POST
    if verb == "bescheid-aendern":  # back from the preview, with what was written
        return _case_page(request, case, values=_decision_values(post))
    if verb not in _DONE and verb != "weiterleiten":
        raise Http404(_("Unbekannte Aktion."))
    try:
        _index_name_once(request, case)
        if verb == "uebernehmen":
            actions.take_case(case=case, actor=user)
        elif verb == "zuweisen":
            raw = str(post.get("assignee", "")).strip()
            assignee = queries.colleague(case.submission.authority, raw) if raw else None
            actions.assign_case(case=case, assignee=assignee, actor=user)
        elif verb == "rueckfrage":
            actions.request_information(
                case=case, subject=post.get("subject", ""), body=post.get("body", ""), actor=user
            )
        elif verb == "entscheiden":
            values = _decision_values(post)
            errors = rules.decision_errors(**values)
            if errors:  # also for a forged confirmation: the preview's checks again
                return _case_page(request, case, errors=errors, values=values, status=422)
            if post.get("step") != "confirm":
                return _decision_preview(request, case, values)
            actions.decide_case(
                case=case,
                actor=user,
                outcome=values["outcome"],
                addressee=values["addressee"],
                text=values["text"],
                reasons=values["reasons"],
            )
        elif verb == "abschliessen":
            actions.close_case(case=case, actor=user)
        elif verb == "weiterleiten":
            try:
                target = queries.forward_target(case, str(post.get("to", "")))
            except NotFound:
                # the form offers only the targets: this one is stale, tampered or missing
                raise InvalidInput(
                    _("Bitte wählen Sie die Behörde."), code="target_missing"
                ) from None
            actions.forward_case(case=case, to=target, reason=post.get("reason", ""), actor=user)
            messages.success(request, _("Der Vorgang wurde weitergeleitet."))
            return redirect("casework:index")
        elif verb == "notiz":
            actions.add_note(case=case, text=post.get("text", ""), actor=user)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except InvalidInput as exc:
        errors = dict(exc.extra.get("errors") or {})
        if not errors:
            field = _FIELD_OF_CODE.get(exc.code)
            if exc.code == "reason_missing":
                field = _REASON_FIELD.get(verb)
            errors = {field or "form": exc.message}
        values = {k: str(v) for k, v in post.items() if k != "csrfmiddlewaretoken"}
        return _case_page(request, case, errors=errors, values=values, status=422)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _DONE[verb])
    return redirect("casework:case", number=number)


def _decision_preview(request: HttpRequest, case: Case, values: dict[str, str]) -> HttpResponse:
    """Step 1 of issuing a Bescheid: the complete text as it will be sent, to be confirmed
    (or changed); nothing is stored or sent yet."""
    if not rules.can_transition(case.submission.status, Submission.Status.DECIDED):
        messages.error(request, _("In diesem Status kann kein Bescheid erlassen werden."))
        return redirect("casework:case", number=case.submission.vorgangsnummer)
    bescheid = queries.bescheid_content(case, **values)
    return render(
        request,
        "casework/bescheid_preview.html",
        {"case": case, "submission": case.submission, "b": bescheid, "values": values},
    )


@staff_required
def handoff_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Leitung and Administration configure the specialist system (webhook, API key)."""
    membership = _or_404(queries.membership_or_404, request.user, slug, roles=queries.ADMIN_ROLES)
    authority = membership.authority
    shown: dict[str, str] = {}
    if request.method == "POST":
        try:
            if "webhook" in request.POST:
                _handoff, secret = actions.configure_webhook(
                    authority=authority, url=request.POST.get("url", "").strip(), actor=request.user
                )
                if secret:
                    shown["secret"] = secret
            elif "api_key" in request.POST:
                shown["api_key"] = actions.issue_api_key(authority=authority, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "casework/settings.html",
        {
            "authority": authority,
            "handoff": queries.handoff_of(authority),
            "shown": shown,
            "api_base": request.build_absolute_uri("/api/v1/casework/fachverfahren/"),
        },
    )
