"""Views every deployment needs: the start page, health check and error pages."""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from verbund.core.audit import record_audit


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "core/start.html")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness in one: the app answers and its database does too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure makes the instance unready
        return JsonResponse(
            {"status": "error", "database": str(exc.__class__.__name__)}, status=503
        )
    return JsonResponse({"status": "ok", "database": connection.vendor})


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
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
