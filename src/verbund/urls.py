"""URL configuration: each domain contributes its `urls.py`, the API its routers."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from verbund.api import api, api_docs
from verbund.core import views as core_views

handler400 = "verbund.core.views.error_400"
handler403 = "verbund.core.views.error_403"
handler404 = "verbund.core.views.error_404"
handler500 = "verbund.core.views.error_500"


def _domain_urls() -> list[URLPattern | URLResolver]:
    patterns: list[URLPattern | URLResolver] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("verbund.") or config.name == "verbund.core":
            continue
        module_name = f"{config.name}.urls"
        if find_spec(module_name) is not None:
            patterns.append(path("", include(import_module(module_name))))
    return patterns


urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", core_views.healthz, name="healthz"),
    path("impressum", core_views.legal_page, {"page": "impressum"}, name="impressum"),
    path("datenschutz", core_views.legal_page, {"page": "datenschutz"}, name="datenschutz"),
    path(
        "barrierefreiheit",
        core_views.legal_page,
        {"page": "barrierefreiheit"},
        name="barrierefreiheit",
    ),
    path("kontakt", core_views.legal_page, {"page": "kontakt"}, name="kontakt"),
    path("api/v1/", api.urls),
    path("api/docs", api_docs, name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Verbund's OpenID provider (accounts); its own namespace, see accounts/oidc_urls.py.
    path("", include("verbund.accounts.oidc_urls")),
    *_domain_urls(),
    # A domain may provide the start page itself (its pattern "" comes first); this is the
    # fallback.
    path("", core_views.start, name="start"),
]

if settings.VERBUND_BENCH_ENDPOINTS:
    urlpatterns += [
        path("_bench/read", core_views.bench_read),
        path("_bench/write", core_views.bench_write),
    ]
