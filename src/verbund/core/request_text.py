"""Text that no database column can hold is refused at the door: a NUL character (U+0000)
in a request's path, query or JSON body. PostgreSQL text columns cannot store it (SQLite
can), so without this refusal the same request is a 500 on one database and stored on the
other. Django's form fields already refuse it in form posts (ProhibitNullCharactersValidator);
this covers what does not go through a form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from verbund.core.errors import InvalidInput

PROBLEM_CONTENT_TYPE = "application/problem+json"
NUL = "\x00"


class NulCharacter(InvalidInput):
    code = "nul_character"

    def __init__(self, field: str) -> None:
        super().__init__(
            _("Die Angabe „%(field)s“ enthält ein Nullzeichen (U+0000).") % {"field": field},
            field=field,
        )


def find_nul(value: Any, path: str = "") -> str | None:
    """The path (`a.b.0`) of the first string in a parsed JSON value that holds a NUL, in
    keys as in values; None if there is none."""
    if isinstance(value, str):
        return (path or "body") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return where
            found = find_nul(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_nul(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def refusal(request: HttpRequest, error: NulCharacter) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            {
                "type": f"urn:verbund:problem:{error.code}",
                "title": error.message,
                "status": error.status,
                "code": error.code,
                "detail": error.message,
            },
            status=error.status,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    return render(request, "400.html", {"message": error.message}, status=400)


class RefuseNulMiddleware:
    """A NUL in the path or in a query parameter (name or value) is refused before any view
    looks it up: 422 problem details in the API, the German 400 page elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path_info:
            return refusal(request, NulCharacter(_("Adresse")))
        for name, values in request.GET.lists():
            if NUL in name or any(NUL in value for value in values):
                return refusal(request, NulCharacter(name.replace(NUL, "")))
        return self.get_response(request)
