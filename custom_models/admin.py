from django.contrib import admin

from custom_models.models import BaseModel, CustomModel, Language, LanguagePublication, QuotaClaim


class BaseModelInline(admin.TabularInline):
    model = BaseModel
    extra = 0


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "trainable"]
    inlines = [BaseModelInline]


@admin.register(CustomModel)
class CustomModelAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "language", "training_status", "enabled", "deleted_at"]
    list_filter = ["training_status", "enabled"]


admin.site.register(LanguagePublication)
admin.site.register(QuotaClaim)
