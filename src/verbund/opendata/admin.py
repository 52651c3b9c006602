from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from verbund.opendata.models import Dataset, Distribution, HarvestRun, HarvestSource


class DistributionInline(admin.TabularInline[Distribution, Dataset]):
    model = Distribution
    extra = 0
    fields = ["title", "format", "access_url", "filename", "byte_size", "checksum"]
    readonly_fields = ["filename", "byte_size", "checksum"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin[Dataset]):
    """Operators see every authority's datasets; authorities edit theirs in the back office."""

    list_display = ["title", "authority", "status", "licence", "harvest_source", "modified"]
    list_filter = ["status", "licence"]
    search_fields = ["title", "name", "identifier", "authority__name"]
    inlines = [DistributionInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        form.instance.index_formats()
        form.instance.save(update_fields=["format_index"])


@admin.register(HarvestSource)
class HarvestSourceAdmin(admin.ModelAdmin[HarvestSource]):
    list_display = ["name", "title", "authority", "kind", "url", "scheduled", "last_harvested_at"]
    search_fields = ["name", "title", "url"]


@admin.register(HarvestRun)
class HarvestRunAdmin(admin.ModelAdmin[HarvestRun]):
    list_display = ["source", "started_at", "created", "updated", "unchanged", "deleted"]
    readonly_fields = ["source", "created", "updated", "unchanged", "deleted", "errors"]
