from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from verbund.accounts.models import User


@admin.register(User)
class AccountAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "email", "kind", "is_active", "last_login"]
    list_filter = ["kind", "is_active", "is_staff"]
    fieldsets = [*UserAdmin.fieldsets, ("Verbund", {"fields": ["kind"]})]  # type: ignore[misc]
