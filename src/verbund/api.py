"""The JSON API under /api/v1/: one NinjaAPI, each domain contributes a router in `api.py`.

Errors are RFC 7807 problem details (`application/problem+json`) with a machine-readable
`code`; validation errors list the offending fields. No request ends in an HTML 500 page.
"""

from __future__ import annotations

import logging
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from verbund import __version__
from verbund.core.errors import DomainError
from verbund.core.health import outage_message
from verbund.core.request_text import NulCharacter, find_nul

logger = logging.getLogger("verbund.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"

# Every operation can answer with a problem: client errors from the exception handlers
# below, 503 during an outage. Documented once for all operations (`VerbundAPI`).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details with Verbund's machine-readable `code`.",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
        "retry_after": {"type": "integer"},
    },
}
PROBLEM_RESPONSES = {
    "4XX": "Die Anfrage wurde abgelehnt (Problem-Details, `code` nennt den Grund).",
    "503": "Vorübergehend nicht verfügbar (Problem-Details, mit Retry-After).",
}


class VerbundAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """The schema with the problem responses every operation can give."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        content = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                for status, description in PROBLEM_RESPONSES.items():
                    responses.setdefault(status, {"description": description})
                # Client errors and outages are always problems (the handlers above),
                # also where ninja documents its own 422 as application/json.
                for status, response in responses.items():
                    if str(status).startswith("4") or str(status) == "503":
                        response["content"] = content
        return schema


class RefuseNulParser(Parser):
    """JSON bodies as ninja parses them, refusing a NUL character anywhere in them (PostgreSQL
    cannot store it; `verbund.core.request_text`). Ninja turns any parser error into a 400
    "Cannot parse request body"; `_http_error` answers with the NulCharacter it was raised from."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        field = find_nul(data)
        if field is not None:
            raise NulCharacter(field)
        return data


api = VerbundAPI(
    parser=RefuseNulParser(),
    title="Verbund API",
    version="1",
    description=(
        "Öffentliche und behördliche Schnittstellen der E-Government-Plattform Verbund. "
        "Fehler werden als RFC-7807-Problem-Details mit einem maschinenlesbaren `code` "
        f"beantwortet. Plattformversion {__version__}."
    ),
    urls_namespace="api",
    docs_url=None,
)


def problem(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    title: str,
    detail: str = "",
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": f"urn:verbund:problem:{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    if status == 429 and "retry_after" in extra:
        response["Retry-After"] = str(extra["retry_after"])
    return response


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return problem(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.message,
        detail=exc.message,
        **{k: v for k, v in exc.extra.items() if v is not None},
    )


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {
            "field": ".".join(str(part) for part in error.get("loc", [])),
            "message": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in exc.errors
    ]
    return problem(
        request,
        status=422,
        code="validation_error",
        title="Die Anfrage enthält ungültige Angaben.",
        detail="; ".join(f"{e['field']}: {e['message']}" for e in errors),
        errors=errors,
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(
        request,
        status=404,
        code="not_found",
        title="Nicht gefunden.",
        detail=str(exc) or "Die angefragte Ressource gibt es nicht.",
    )


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(request, status=401, code="unauthorized", title="Anmeldung erforderlich.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, DomainError):  # a refusal of the body parser
        return _domain_error(request, exc.__cause__)
    return problem(request, status=exc.status_code, code=f"http_{exc.status_code}", title=str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    from verbund.core.request_size import too_large

    return too_large(request)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    refusal = outage_message(exc)
    if refusal is not None:  # an outage (read-only database, storage, rules), not a bug
        logger.warning("Outage on %s: %s", request.path, exc)
        response = problem(
            request, status=503, code="service_unavailable", title=refusal, detail=refusal
        )
        response["Retry-After"] = "120"
        return response
    logger.exception("Unhandled API error on %s", request.path)
    return problem(
        request,
        status=500,
        code="internal_error",
        title="Interner Fehler. Bitte versuchen Sie es später erneut.",
    )


def _register_domain_routers() -> None:
    for config in apps.get_app_configs():
        if not config.name.startswith("verbund."):
            continue
        module_name = f"{config.name}.api"
        if find_spec(module_name) is None:
            continue
        router = getattr(import_module(module_name), "router", None)
        if router is not None:
            api.add_router("", router)


_register_domain_routers()


def api_docs(request: HttpRequest) -> HttpResponse:
    """Interactive documentation at /api/docs, reading /api/v1/openapi.json."""
    return api.docs.render_page(request, api)
