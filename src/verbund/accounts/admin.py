from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from verbund.accounts.models import (
    FederatedIdentity,
    LoginAttempt,
    Organisation,
    OrganisationMember,
    Passkey,
    TotpDevice,
    User,
)

# Profiles (names, addresses, dates of birth) are deliberately not shown here: operators
# need not read personal data to run the platform.


@admin.register(User)
class AccountAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "email", "kind", "trust_level", "is_active", "last_login"]
    list_filter = ["kind", "trust_level", "is_active", "is_staff"]
    fieldsets = [
        *UserAdmin.fieldsets,  # type: ignore[misc]
        ("Verbund", {"fields": ["kind", "email_verified_at", "trust_level"]}),
    ]


class OrganisationMemberInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OrganisationMember
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "legal_form", "city", "register_number"]
    search_fields = ["name", "register_number"]
    inlines = [OrganisationMemberInline]


@admin.register(FederatedIdentity)
class FederatedIdentityAdmin(admin.ModelAdmin[FederatedIdentity]):
    list_display = ["user", "provider", "trust_level", "last_login_at"]
    list_filter = ["provider", "trust_level"]
    raw_id_fields = ["user"]
    readonly_fields = ["subject", "postkorb_handle"]


@admin.register(Passkey)
class PasskeyAdmin(admin.ModelAdmin[Passkey]):
    list_display = ["user", "name", "created_at", "last_used_at"]
    raw_id_fields = ["user"]
    fields = ["user", "name", "created_at", "last_used_at", "sign_count"]
    readonly_fields = ["created_at", "last_used_at", "sign_count"]


@admin.register(TotpDevice)
class TotpDeviceAdmin(admin.ModelAdmin[TotpDevice]):
    """Operators may remove a lost authenticator (the holder then enrols a new one) but
    never see its secret."""

    list_display = ["user", "confirmed_at"]
    raw_id_fields = ["user"]
    fields = ["user", "confirmed_at"]
    readonly_fields = ["confirmed_at"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin[LoginAttempt]):
    list_display = ["at", "username", "ip_address", "stage"]
    list_filter = ["stage"]
    search_fields = ["username", "ip_address"]
