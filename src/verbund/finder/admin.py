"""Django admin for Zuständigkeiten (Land editors: `finder.change_zustaendigkeit`).
Every change goes through `actions`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from verbund.finder import actions
from verbund.finder.models import Zustaendigkeit


@admin.register(Zustaendigkeit)
class ZustaendigkeitAdmin(admin.ModelAdmin[Zustaendigkeit]):
    list_display = ["service", "gebiet", "authority", "valid_from", "valid_until"]
    list_filter = ["gebiet__level", "service__level"]
    search_fields = ["service__name", "service__slug", "authority__name", "gebiet__name"]
    list_select_related = ["service", "gebiet", "authority"]
    raw_id_fields = ["service", "authority", "gebiet"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(
        self, request: HttpRequest, obj: Zustaendigkeit, form: ModelForm[Any], change: bool
    ) -> None:
        actions.save_zustaendigkeit(entry=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Zustaendigkeit) -> None:
        actions.delete_zustaendigkeit(entry=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Zustaendigkeit]) -> None:
        for entry in queryset:
            actions.delete_zustaendigkeit(entry=entry, actor=request.user)
