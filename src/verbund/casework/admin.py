from django.contrib import admin

from verbund.casework.models import Handoff, ServiceTerms


@admin.register(ServiceTerms)
class ServiceTermsAdmin(admin.ModelAdmin[ServiceTerms]):
    list_display = ["service", "processing_days", "retention_days"]
    search_fields = ["service__name"]
    autocomplete_fields = ["service"]


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin[Handoff]):
    """Only whether a hand-off is set up; secrets are never shown here."""

    list_display = ["authority", "webhook_url"]
    fields = ["authority", "webhook_url"]
    readonly_fields = ["authority"]
