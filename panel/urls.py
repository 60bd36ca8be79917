from django.urls import path

from panel import views

app_name = "panel"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("custom-models/", views.custom_model_list, name="custom-models"),
]
