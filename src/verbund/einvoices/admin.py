from django.contrib import admin
from django.http import HttpRequest

from verbund.einvoices.models import Invoice, SupplierApiKey


@admin.register(SupplierApiKey)
class SupplierApiKeyAdmin(admin.ModelAdmin[SupplierApiKey]):
    """Keys are issued by `verbund issue-einvoice-api-key` (the key is shown once); here
    operators see them and may deactivate one."""

    list_display = ["name", "prefix", "contact_email", "active", "last_used_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "prefix", "contact_email"]
    fields = ["name", "contact_email", "prefix", "active", "last_used_at"]
    readonly_fields = ["prefix", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin[Invoice]):
    """Operators see receipt metadata only; the invoice itself is for its authority."""

    list_display = ["received_at", "authority", "leitweg_id", "status", "channel", "valid"]
    list_filter = ["status", "channel", "valid"]
    search_fields = ["leitweg_id", "sha256", "authority__name"]
    fields = (
        "authority",
        "leitweg_id",
        "status",
        "channel",
        "received_at",
        "sha256",
        "size",
        "media_type",
        "valid",
        "rejection_reasons",
        "notice_sent_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return False
