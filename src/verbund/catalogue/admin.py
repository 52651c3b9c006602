"""Django admin for the catalogue.

Land editors (users with `catalogue.change_service`) maintain services, life situations
and every authority's texts. Tenant staff see and edit only the texts of their own
authorities (scoped through `authorities.queries.authorities_of_staff`); they may look up
services to choose one, but not change them. Every change goes through `actions`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import ForeignKey, QuerySet
from django.http import HttpRequest

from verbund.authorities import queries as authority_queries
from verbund.catalogue import actions, queries
from verbund.catalogue.models import (
    AuthorityServiceText,
    Lebenslage,
    LebenslageService,
    OzgLeistung,
    Service,
    Themenfeld,
)

# Links editors type without a scheme are web addresses of today: https.
URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


def is_tenant_editor(request: HttpRequest) -> bool:
    return authority_queries.authorities_of_staff(request.user).exists()


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    formfield_overrides = URL_FIELDS
    list_display = ["name", "slug", "leika_key", "level", "wirkungskreis", "is_curated"]
    list_filter = ["is_curated", "level", "wirkungskreis", "audience", "is_outdated"]
    search_fields = ["name", "name_2", "slug", "leika_key", "leika_name", "synonyms"]
    list_select_related = ["ozg_leistung"]
    raw_id_fields = ["ozg_leistung"]
    readonly_fields = ["leika_name", "is_outdated", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["slug", "leika_key", "name", "name_2", "leika_name", "is_curated"]}),
        (
            "Texte",
            {
                "fields": [
                    "short_text",
                    "full_text",
                    "required_documents",
                    "prerequisites",
                    "costs",
                    "deadlines",
                    "processing_time",
                    "procedure",
                    "notes",
                    "legal_basis",
                    "rechtsbehelfsbelehrung",
                    "forms_url",
                    "online_service_url",
                    "audience",
                ]
            },
        ),
        ("Suche", {"fields": ["synonyms", "everyday_terms", "english_terms", "search_boost"]}),
        (
            "Zuständigkeit und Katalog",
            {
                "fields": [
                    "level",
                    "wirkungskreis",
                    "office",
                    "ozg_leistung",
                    "typisierung",
                    "is_outdated",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]

    def has_view_permission(self, request: HttpRequest, obj: Service | None = None) -> bool:
        # Tenant staff look services up when they write their own text for one.
        return super().has_view_permission(request, obj) or is_tenant_editor(request)

    def has_delete_permission(self, request: HttpRequest, obj: Service | None = None) -> bool:
        return False  # LeiKa keys stay; a service that ends is edited, not deleted

    def save_model(self, request: HttpRequest, obj: Service, form: Any, change: bool) -> None:
        actions.save_service(service=obj, actor=request.user)


class LebenslageServiceInline(admin.TabularInline[LebenslageService, Lebenslage]):
    model = LebenslageService
    extra = 1
    raw_id_fields = ["service"]
    ordering = ["position"]


@admin.register(Lebenslage)
class LebenslageAdmin(admin.ModelAdmin[Lebenslage]):
    list_display = ["name", "title", "slug", "ozg_id", "themenfeld", "is_featured", "position"]
    list_filter = ["is_featured", "themenfeld"]
    search_fields = ["name", "title", "slug", "terms"]
    list_editable = ["position"]
    inlines = [LebenslageServiceInline]

    def has_delete_permission(self, request: HttpRequest, obj: Lebenslage | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Lebenslage, form: Any, change: bool) -> None:
        actions.save_lebenslage(lebenslage=obj, actor=request.user)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if any(formset.has_changed() for formset in formsets):
            actions.relink_lebenslage(lebenslage=form.instance, actor=request.user)


@admin.register(Themenfeld)
class ThemenfeldAdmin(admin.ModelAdmin[Themenfeld]):
    list_display = ["name", "slug"]
    search_fields = ["name"]


@admin.register(OzgLeistung)
class OzgLeistungAdmin(admin.ModelAdmin[OzgLeistung]):
    list_display = ["name", "ozg_id", "lebenslage"]
    list_filter = ["lebenslage__themenfeld"]
    search_fields = ["name", "ozg_id"]
    list_select_related = ["lebenslage"]


@admin.register(AuthorityServiceText)
class AuthorityServiceTextAdmin(admin.ModelAdmin[AuthorityServiceText]):
    formfield_overrides = URL_FIELDS
    list_display = ["service", "authority", "updated_at"]
    list_select_related = ["service", "authority"]
    search_fields = ["service__name", "service__slug", "authority__name"]
    autocomplete_fields = ["service"]
    fields = [
        "service",
        "authority",
        "short_text",
        "full_text",
        "required_documents",
        "prerequisites",
        "costs",
        "deadlines",
        "processing_time",
        "procedure",
        "notes",
        "rechtsbehelfsbelehrung",
        "forms_url",
        "online_service_url",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuthorityServiceText]:
        return queries.authority_texts_for_staff(request.user)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "authority":
            kwargs["queryset"] = queries.editable_authorities(request.user).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _may_edit(self, request: HttpRequest, obj: AuthorityServiceText | None) -> bool:
        if queries.is_land_editor(request.user):
            return True
        if not is_tenant_editor(request):
            return False
        return (
            obj is None
            or queries.editable_authorities(request.user).filter(pk=obj.authority_id).exists()
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or is_tenant_editor(request)

    def has_view_permission(
        self, request: HttpRequest, obj: AuthorityServiceText | None = None
    ) -> bool:
        return self._may_edit(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_edit(request, None)

    def has_change_permission(
        self, request: HttpRequest, obj: AuthorityServiceText | None = None
    ) -> bool:
        return self._may_edit(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: AuthorityServiceText | None = None
    ) -> bool:
        return self._may_edit(request, obj)

    def save_model(
        self, request: HttpRequest, obj: AuthorityServiceText, form: Any, change: bool
    ) -> None:
        actions.save_authority_text(text=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: AuthorityServiceText) -> None:
        actions.delete_authority_text(text=obj, actor=request.user)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[AuthorityServiceText]
    ) -> None:
        for text in queryset:
            actions.delete_authority_text(text=text, actor=request.user)
