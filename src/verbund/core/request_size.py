"""Request bodies larger than the platform accepts are answered 413 Content Too Large
(RFC 9110 § 15.5.14): with RFC 9457 problem details in the API, with a German page
elsewhere; never the catch-all 500 of Django's RequestDataTooBig."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

PROBLEM_CONTENT_TYPE = "application/problem+json"


def too_large(request: HttpRequest) -> HttpResponse:
    """The 413 answer, in the form the client reads."""
    limit_mb = f"{settings.VERBUND_REQUEST_MAX_BYTES / 1024 / 1024:.0f}"
    message = _("Die Anfrage ist zu groß (höchstens %(mb)s MB).") % {"mb": limit_mb}
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": "urn:verbund:problem:request_too_large",
                "title": message,
                "status": 413,
                "code": "request_too_large",
                "detail": message,
                "limit": settings.VERBUND_REQUEST_MAX_BYTES,
            },
            status=413,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    return render(request, "413.html", {"message": message}, status=413)


class RequestSizeMiddleware:
    """Refuse by the declared Content-Length before anything reads the body; a body that
    grows past the limit while read (no length declared) is caught as it is raised."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.VERBUND_REQUEST_MAX_BYTES:
            return too_large(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return too_large(request)
        return None
