from django.urls import re_path

from training import api

urlpatterns = [
    re_path(r"^custom_models/(?P<id>[0-9]+)/run/?$", api.RunApi.as_view(), name="custom-model-run"),
    re_path(r"^stt/?$", api.SttApi.as_view(), name="stt"),
    re_path(r"^stt/(?P<id>[0-9]+)/?$", api.SttDetailApi.as_view(), name="stt-detail"),
]
