from django.contrib import admin
from django.http import HttpRequest

from verbund.authorities.models import Authority, EncryptionKey, LeitwegIdentifier


class LeitwegInline(admin.TabularInline[LeitwegIdentifier, Authority]):
    model = LeitwegIdentifier
    extra = 0


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin[Authority]):
    list_display = ["name", "kind", "gebiet", "tenant_status", "is_demo_data"]
    list_filter = ["kind", "tenant_status", "is_demo_data"]
    search_fields = ["name", "slug", "gebiet__name", "gebiet__ars"]
    raw_id_fields = ["gebiet"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [LeitwegInline]


@admin.register(EncryptionKey)
class EncryptionKeyAdmin(admin.ModelAdmin[EncryptionKey]):
    """Keys are made by actions only; the admin shows which exist (never a private key)."""

    list_display = ["authority", "kid", "protection", "active", "created_at"]
    list_filter = ["protection", "active"]
    search_fields = ["authority__name", "kid"]
    fields = ["authority", "kid", "public_jwk", "protection", "active", "retired_at"]
    readonly_fields = ["authority", "kid", "public_jwk", "protection", "active", "retired_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
