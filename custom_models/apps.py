from django.apps import AppConfig


class CustomModelsConfig(AppConfig):
    name = "custom_models"
    verbose_name = "Custom models"
