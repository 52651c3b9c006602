from django.contrib import admin
from django.http import HttpRequest

from verbund.applications.models import FormDefinition, FormVersion, Payment, Submission


class VersionInline(admin.TabularInline[FormVersion, FormDefinition]):
    model = FormVersion
    extra = 0
    fields = ["number", "status", "source", "fim_version", "published_at", "content_hash"]
    readonly_fields = ["number", "status", "source", "fim_version", "published_at", "content_hash"]
    can_delete = False


@admin.register(FormDefinition)
class FormDefinitionAdmin(admin.ModelAdmin[FormDefinition]):
    list_display = ["key", "name", "service", "fim_id"]
    search_fields = ["key", "name", "fim_id"]
    raw_id_fields = ["service"]
    inlines = [VersionInline]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin[Submission]):
    """Operators see routing and status, never content (it is encrypted anyway)."""

    list_display = ["vorgangsnummer", "service", "authority", "status", "channel", "submitted_at"]
    list_filter = ["status", "channel"]
    search_fields = ["vorgangsnummer"]
    fields = [
        "vorgangsnummer",
        "service",
        "authority",
        "basis",
        "status",
        "channel",
        "data_sha256",
        "submitted_at",
        "released_at",
    ]
    readonly_fields = [
        "vorgangsnummer",
        "service",
        "authority",
        "basis",
        "status",
        "channel",
        "data_sha256",
        "submitted_at",
        "released_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Submission | None = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin[Payment]):
    list_display = ["request_id", "submission", "amount", "status", "provider"]
    list_filter = ["status", "provider"]
    readonly_fields = ["request_id", "submission", "amount", "status", "provider"]
