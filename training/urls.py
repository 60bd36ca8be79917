from django.urls import re_path

from training import api, api_evaluation

urlpatterns = [
    re_path(
        r"^custom_models/(?P<id>[0-9]+)/log/?$", api.CustomModelLogApi.as_view(), name="custom-model-log"
    ),
    re_path(r"^custom_models/(?P<id>[0-9]+)/run/?$", api.RunApi.as_view(), name="custom-model-run"),
    re_path(r"^custom_models/(?P<id>[0-9]+)/cancel/?$", api.CancelApi.as_view(), name="custom-model-cancel"),
    re_path(r"^custom_models/(?P<id>[0-9]+)/enable/?$", api.EnableApi.as_view(), name="custom-model-enable"),
    re_path(
        r"^custom_models/(?P<id>[0-9]+)/evaluation/?$",
        api_evaluation.CustomModelEvaluationApi.as_view(),
        name="custom-model-evaluation",
    ),
    re_path(
        r"^custom_models/(?P<id>[0-9]+)/versions/?$",
        api.VersionListApi.as_view(),
        name="custom-model-versions",
    ),
    re_path(
        r"^custom_models/(?P<id>[0-9]+)/versions/(?P<version>[0-9]+)/?$",
        api.VersionDetailApi.as_view(),
        name="custom-model-version",
    ),
    re_path(
        r"^custom_models/(?P<id>[0-9]+)/versions/(?P<version>[0-9]+)/activate/?$",
        api.VersionActivateApi.as_view(),
        name="custom-model-version-activate",
    ),
    re_path(
        r"^custom_models/(?P<id>[0-9]+)/versions/(?P<version>[0-9]+)/download/?$",
        api.VersionDownloadApi.as_view(),
        name="custom-model-version-download",
    ),
    re_path(r"^stt/?$", api.SttApi.as_view(), name="stt"),
    re_path(r"^stt/(?P<id>[0-9]+)/?$", api.SttDetailApi.as_view(), name="stt-detail"),
    re_path(r"^alignments/?$", api.AlignmentApi.as_view(), name="alignments"),
    re_path(r"^alignments/(?P<id>[0-9]+)/?$", api.AlignmentDetailApi.as_view(), name="alignment-detail"),
    re_path(
        r"^alignments/(?P<id>[0-9]+)/download/?$",
        api.AlignmentDownloadApi.as_view(),
        name="alignment-download",
    ),
]
