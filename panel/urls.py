from django.urls import path

from panel import views

app_name = "panel"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("custom-models/", views.custom_model_list, name="custom-models"),
    path("custom-models/rows/", views.custom_model_rows, name="custom-model-rows"),
    path("custom-models/new/", views.custom_model_create, name="custom-model-create"),
    path("custom-models/<int:id>/", views.custom_model_detail, name="custom-model-detail"),
    path("custom-models/<int:id>/status/", views.custom_model_status, name="custom-model-status"),
    path("custom-models/<int:id>/update/", views.custom_model_update, name="custom-model-update"),
    path("custom-models/<int:id>/delete/", views.custom_model_delete, name="custom-model-delete"),
]
