from django.urls import re_path

from datasets import api

model = r"^custom_models/(?P<id>[0-9]+)"
uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
urlpatterns = [
    re_path(model + r"/data/?$", api.DataApi.as_view(), name="dataset-files"),
    re_path(model + r"/data/(?P<file_id>[0-9]+)/?$", api.DataFileApi.as_view(), name="dataset-file"),
    re_path(
        model + r"/data/(?P<file_id>[0-9]+)/download/?$",
        api.DataFileDownloadApi.as_view(),
        name="dataset-file-download",
    ),
    re_path(model + r"/validate/?$", api.ValidateApi.as_view(), name="dataset-validate"),
    re_path(model + r"/uploads/?$", api.TusCollectionApi.as_view(), name="tus-uploads"),
    re_path(model + rf"/uploads/(?P<upload_id>{uuid})/?$", api.TusResourceApi.as_view(), name="tus-upload"),
    re_path(r"^files/(?P<token>[^/]+)$", api.SignedDownloadApi.as_view(), name="signed-download"),
]
