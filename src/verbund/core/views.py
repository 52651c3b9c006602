"""Views every deployment needs: the start page, health check and error pages."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from verbund.core import health
from verbund.core.audit import record_audit


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "core/start.html")


def _operator() -> dict[str, Any]:
    """The operator's details from the settings (see group "Betreiber")."""
    return {
        "name": settings.VERBUND_OPERATOR_NAME,
        "address": [
            line.strip() for line in settings.VERBUND_OPERATOR_ADDRESS.split(";") if line.strip()
        ],
        "email": settings.VERBUND_OPERATOR_EMAIL,
        "phone": settings.VERBUND_OPERATOR_PHONE,
        "responsible": settings.VERBUND_OPERATOR_RESPONSIBLE,
    }


def legal_page(request: HttpRequest, page: str) -> HttpResponse:
    """Impressum, Datenschutzerklärung, Erklärung zur Barrierefreiheit and Kontakt."""
    return render(request, f"core/{page}.html", {"operator": _operator()})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness: database reachable and writable, migrations applied, file storage
    writable, e-invoice rules in place, a task worker alive. 503 names each failed check."""
    results = health.run_checks()
    failed = [r.name for r in results if not r.ok]
    return JsonResponse(
        {
            "status": "error" if failed else "ok",
            "failed": failed,
            "checks": {r.name: {"ok": r.ok, "detail": r.detail} for r in results},
        },
        status=503 if failed else 200,
    )


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # Called while the exception is handled: a refused write (read-only database, storage
    # not writable) or missing e-invoice rules is an outage with a message, not a bug.
    message = health.outage_message(sys.exc_info()[1])
    if message is not None:
        response = render(request, "503.html", {"message": message}, status=503)
        response["Retry-After"] = "120"
        return response
    return render(request, "500.html", status=500)


# Baselines for the benchmarks in bench/: the cheapest JSON read and one-row write Django can
# serve through the same stack. Mounted only when VERBUND_BENCH_ENDPOINTS is set.


def bench_read(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@csrf_exempt
def bench_write(request: HttpRequest) -> JsonResponse:
    with transaction.atomic():
        entry = record_audit(action="bench.write", actor="bench", size=len(request.body))
    return JsonResponse({"id": entry.pk}, status=201)
