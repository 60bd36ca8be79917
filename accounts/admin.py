from django.contrib import admin

from accounts.models import ApiKey, Membership, Organisation, Plan

admin.site.register(Plan)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "plan", "reseller"]
    inlines = [MembershipInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "membership", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "hashed_key"]
