from django.contrib import admin

from verbund.authorities.models import Authority, LeitwegIdentifier


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
