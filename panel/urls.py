from django.urls import path

from panel import dataset_views, views

app_name = "panel"
model = "custom-models/<int:id>/"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("custom-models/", views.custom_model_list, name="custom-models"),
    path("custom-models/rows/", views.custom_model_rows, name="custom-model-rows"),
    path("custom-models/new/", views.custom_model_create, name="custom-model-create"),
    path(model, views.custom_model_detail, name="custom-model-detail"),
    path(model + "status/", views.custom_model_status, name="custom-model-status"),
    path(model + "update/", views.custom_model_update, name="custom-model-update"),
    path(model + "delete/", views.custom_model_delete, name="custom-model-delete"),
    path(model + "train/", views.custom_model_train, name="custom-model-train"),
    path(model + "datasets/", dataset_views.dataset_rows, name="dataset-rows"),
    path(model + "datasets/<int:file_id>/download/", dataset_views.dataset_download, name="dataset-download"),
    path(model + "datasets/<int:file_id>/delete/", dataset_views.dataset_delete, name="dataset-delete"),
]
