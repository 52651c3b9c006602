"""Back-office API: the inbox and cases for staff (session with second factor), and the
hand-off to specialist systems (Fachverfahren), authenticated with the authority's API key
in the `X-API-Key` header. Cases of other authorities answer 404, as in the web."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.security import APIKeyHeader

from verbund.accounts.access import staff_session_auth
from verbund.authorities.types import Authority
from verbund.casework import actions, queries, rules

router = Router(tags=["Sachbearbeitung"])


class FachverfahrenKey(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return queries.authority_for_api_key(key or "")


fachverfahren_auth = FachverfahrenKey()


class CaseRow(Schema):
    vorgangsnummer: str
    status: str
    service: str
    received_at: str
    deadline: str
    overdue: bool
    assignee: str | None


class InboxOut(Schema):
    items: list[CaseRow]
    next: str


class StatusIn(Schema):
    status: str
    note: str = ""


class StatusOut(Schema):
    vorgangsnummer: str
    status: str


@router.get(
    "/casework/behoerden/{slug}/vorgaenge",
    response=InboxOut,
    auth=staff_session_auth,
    summary="Posteingang einer Behörde (Keyset-Seiten)",
)
def inbox(
    request: HttpRequest,
    slug: str,
    status: str = "",
    service: str = "",
    deadline: str = "",
    assignee: str = "",
    q: str = "",
    after: str = "",
) -> dict[str, Any]:
    membership = queries.membership_or_404(request.user, slug)
    page = queries.inbox_page(
        membership,
        queries.InboxFilter(
            status=status, service=service, deadline=deadline, assignee=assignee, q=q
        ),
        cursor=after,
    )
    return {
        "items": [
            {
                "vorgangsnummer": s.vorgangsnummer,
                "status": s.status,
                "service": s.service.slug,
                "received_at": s.released_at.isoformat() if s.released_at else "",
                "deadline": s.case.deadline.isoformat(),
                "overdue": rules.is_overdue(s.case.deadline, s.status, page.today),
                "assignee": s.case.assignee.username if s.case.assignee else None,
            }
            for s in page.rows
        ],
        "next": page.next_cursor,
    }


@router.get(
    "/casework/vorgaenge/{number}",
    auth=staff_session_auth,
    summary="Ein Vorgang (Metadaten; Angaben verschlüsselt)",
)
def case_for_staff(request: HttpRequest, number: str) -> dict[str, Any]:
    return queries.export_case(queries.get_case_for_staff_or_404(request.user, number))


@router.post(
    "/casework/vorgaenge/{number}/status",
    response=StatusOut,
    auth=staff_session_auth,
    summary="Status eines Vorgangs setzen",
)
def set_status_for_staff(request: HttpRequest, number: str, body: StatusIn) -> dict[str, Any]:
    case = queries.get_case_for_staff_or_404(request.user, number)
    if body.status == "in_progress" and case.submission.status in ("received", "forwarded"):
        case = actions.take_case(case=case, actor=request.user)
    else:
        case = actions.set_status_from_handoff(
            case=case, status=body.status, note=body.note, actor=request.user
        )
    return {"vorgangsnummer": case.submission.vorgangsnummer, "status": case.submission.status}


def _authority(request: HttpRequest) -> Authority:
    authority: Authority = request.auth  # type: ignore[attr-defined]
    return authority


def _actor(request: HttpRequest) -> str:
    return f"fachverfahren:{_authority(request).slug}"


@router.get(
    "/casework/fachverfahren/vorgaenge/{number}",
    auth=fachverfahren_auth,
    summary="Fachverfahren: Vorgang als JSON",
)
def handoff_export(request: HttpRequest, number: str) -> dict[str, Any]:
    return queries.export_case(queries.get_case_for_authority_or_404(_authority(request), number))


@router.get(
    "/casework/fachverfahren/vorgaenge/{number}/xml",
    auth=fachverfahren_auth,
    summary="Fachverfahren: Vorgang als XML",
)
def handoff_export_xml(request: HttpRequest, number: str) -> HttpResponse:
    case = queries.get_case_for_authority_or_404(_authority(request), number)
    return HttpResponse(queries.export_case_xml(case), content_type="application/xml")


@router.post(
    "/casework/fachverfahren/vorgaenge/{number}/status",
    response=StatusOut,
    auth=fachverfahren_auth,
    summary="Fachverfahren: Status setzen",
)
def handoff_status(request: HttpRequest, number: str, body: StatusIn) -> dict[str, Any]:
    case = queries.get_case_for_authority_or_404(_authority(request), number)
    case = actions.set_status_from_handoff(
        case=case, status=body.status, note=body.note, actor=_actor(request)
    )
    return {"vorgangsnummer": case.submission.vorgangsnummer, "status": case.submission.status}


@router.post(
    "/casework/fachverfahren/vorgaenge/{number}/bescheid",
    response=StatusOut,
    auth=fachverfahren_auth,
    summary="Fachverfahren: Bescheid (PDF) hochladen",
)
def handoff_decision(
    request: HttpRequest,
    number: str,
    outcome: Form[str],
    pdf: File[UploadedFile],
) -> dict[str, Any]:
    case = queries.get_case_for_authority_or_404(_authority(request), number)
    if case.submission.status in ("received", "forwarded"):
        actions.set_status_from_handoff(
            case=case, status="in_progress", note="", actor=_actor(request)
        )
    actions.decide_case(
        case=case,
        outcome=outcome,
        pdf=pdf.read(),
        filename=pdf.name or "",
        actor=_actor(request),
    )
    return {"vorgangsnummer": case.submission.vorgangsnummer, "status": case.submission.status}
