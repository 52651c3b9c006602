"""The authorization matrix (issue 5, "Done when"): every back-office page and API endpoint,
enumerated from the URL configuration and the API router so that a new endpoint cannot
escape, × every role × own/foreign authority × anonymous × citizen. Only the allowed
combinations succeed; staff of another authority get 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse

from verbund.applications.models import Submission
from verbund.applications.tests.conftest import PDF
from verbund.applications.tests.factories import fill_wohnsitz, start
from verbund.casework import actions
from verbund.casework import urls as casework_urls
from verbund.casework.api import router
from verbund.casework.models import Case
from verbund.mailbox import actions as mailbox_actions
from verbund.mailbox.models import Message, Reply

pytestmark = pytest.mark.django_db

CASE = {"clerk", "lead"}
STAFF = {"clerk", "lead", "admin", "foreign_clerk", "foreign_lead"}
API_KEY = {"api_key"}

# Which roles may use each endpoint. An endpoint missing here fails the test.
HTML: dict[str, tuple[str, set[str]]] = {
    "index": ("get", STAFF),
    "inbox": ("get", CASE),
    "settings": ("get", {"lead", "admin"}),
    "case": ("get", CASE),
    "action": ("post", CASE),
    "attachment": ("get", CASE),
    "reply_attachment": ("get", CASE),
    "decision": ("get", CASE),
    "export_json": ("get", CASE),
    "export_xml": ("get", CASE),
}
API: dict[tuple[str, str], set[str]] = {
    ("GET", "/casework/behoerden/{slug}/vorgaenge"): CASE,
    ("GET", "/casework/vorgaenge/{number}"): CASE,
    ("POST", "/casework/vorgaenge/{number}/status"): CASE,
    ("GET", "/casework/fachverfahren/vorgaenge/{number}"): API_KEY,
    ("GET", "/casework/fachverfahren/vorgaenge/{number}/xml"): API_KEY,
    ("POST", "/casework/fachverfahren/vorgaenge/{number}/status"): API_KEY,
    ("POST", "/casework/fachverfahren/vorgaenge/{number}/bescheid"): API_KEY,
}
ROLES = [
    "clerk",
    "lead",
    "admin",
    "foreign_clerk",
    "foreign_lead",
    "clerk_without_2fa",
    "citizen",
    "anonymous",
    "api_key",
    "foreign_api_key",
]


def api_routes() -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }


def html_routes() -> set[str]:
    return {p.name for p in casework_urls.urlpatterns if isinstance(p, URLPattern) and p.name}


def test_every_endpoint_is_in_the_matrix():
    assert html_routes() == set(HTML)
    assert api_routes() == set(API)


@pytest.fixture
def world(own, foreign, staff, citizen, login_staff):
    """A Wohnsitz case at the own authority with an attachment, a Rückfrage answered with a
    file, and a Bescheid; API keys of both authorities; a client per role."""
    applicant = Client()
    summary = fill_wohnsitz(applicant, start(applicant, "wohnsitz-anmelden", ags="16051000"))
    response = applicant.post(summary, {"consent": "1"})
    assert response.status_code == 302
    submission = Submission.objects.filter(authority=own).order_by("-submitted_at").first()
    case = Case.objects.get(pk=submission.pk)
    clerk = staff["clerk"]
    actions.take_case(case=case, actor=clerk)
    actions.request_information(case=case, subject="Nachweis", body="Bitte.", actor=clerk)
    message = Message.objects.get(submission_id=case.pk, kind="rueckfrage")
    mailbox_actions.reply_to_message(
        message=message,
        body="Anbei.",
        attachments=[SimpleUploadedFile("nachweis.pdf", PDF, "application/pdf")],
        actor_or_none=None,
    )
    case.refresh_from_db()
    decision = actions.decide_case(case=case, outcome="granted", text="Gut.", actor=clerk)
    reply = Reply.objects.get(submission_id=case.pk)
    keys = {
        "api_key": actions.issue_api_key(authority=own, actor="test"),
        "foreign_api_key": actions.issue_api_key(authority=foreign, actor="test"),
    }
    clients: dict[str, Client] = {}
    for role in ROLES:
        client = Client()
        if role in staff:
            login_staff(client, staff[role])
        elif role == "clerk_without_2fa":
            client.force_login(clerk)
        elif role == "citizen":
            client.force_login(citizen)
        elif role in keys:
            client.defaults["HTTP_X_API_KEY"] = keys[role]
        clients[role] = client
    return {
        "clients": clients,
        "kwargs": {
            "slug": own.slug,
            "number": submission.vorgangsnummer,
            "verb": "notiz",
            "attachment_id": str(submission.attachments.get().id),
            "reply_id": str(reply.pk),
            "decision_id": decision.pk,
        },
        "reply_attachment": str(reply.attachments.get().id),
    }


def _html_url(name: str, world) -> str:
    pattern = next(p for p in casework_urls.urlpatterns if p.name == name)
    names = set(pattern.pattern.converters)
    kwargs = {k: v for k, v in world["kwargs"].items() if k in names}
    if name == "reply_attachment":
        kwargs["attachment_id"] = world["reply_attachment"]
    return reverse(f"casework:{name}", kwargs=kwargs)


SESSION_STAFF = {"clerk", "lead", "admin", "foreign_clerk", "foreign_lead"}


def _refused(role: str, response, *, api: str = "") -> bool:
    """How each kind of caller is refused: staff of the wrong authority or role get 404
    (they must not learn the case exists); others are sent to log in, or get 401/403."""
    code = response.status_code
    location = response.get("Location", "")
    if role == "clerk_without_2fa" and api:
        return code == 403 and b"second_factor_required" in response.content
    if api == "key":
        # the multipart body is validated before the key: 422 tells nothing about the case
        return code in {404, 422} if role == "foreign_api_key" else code == 401
    if api == "session":
        return code == 404 if role in SESSION_STAFF else code == 401
    if role in SESSION_STAFF:
        return code == 404
    if role == "clerk_without_2fa":
        return code == 302 and "/konto/zweiter-faktor/" in location
    if role == "citizen":
        return code == 403
    return code == 302 and "next=" in location


def _succeeded(response, *, method: str) -> bool:
    if response.status_code == 302 and response["Location"].startswith("/sachbearbeitung/"):
        return method == "post" or "/vorgang/" not in response["Location"]
    if method == "post":
        if response.status_code == 302:
            return "/sachbearbeitung/vorgang/" in response["Location"]
        return response.status_code not in {401, 403, 404} and response.status_code < 500
    return response.status_code == 200


def test_authorization_matrix(world):
    failures = []
    for name, (method, allowed) in HTML.items():
        url = _html_url(name, world)
        for role in ROLES:
            client = world["clients"][role]
            response = getattr(client, method)(url, {"text": "Matrix"} if method == "post" else {})
            ok = (
                _succeeded(response, method=method) if role in allowed else _refused(role, response)
            )
            if not ok:
                failures.append((name, role, response.status_code, response.get("Location")))
    for (method, path), allowed in API.items():
        url = "/api/v1" + path.format(**world["kwargs"])
        for role in ROLES:
            client = world["clients"][role]
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, {"status": "nonsense"}, content_type="application/json")
            ok = (
                _succeeded(response, method=method.lower())
                if role in allowed
                else _refused(role, response, api="key" if allowed == API_KEY else "session")
            )
            if not ok:
                failures.append((path, role, response.status_code, response.content[:120]))
    assert not failures, "\n".join(str(f) for f in failures)
