from django.urls import re_path

from custom_models import api

# The spec's paths have no trailing slash; a trailing slash is accepted too.
urlpatterns = [
    re_path(r"^languages/?$", api.LanguageListApi.as_view(), name="language-list"),
    re_path(r"^custom_models/?$", api.CustomModelListCreateApi.as_view(), name="custom-model-list"),
    re_path(
        r"^custom_models/(?P<id>[0-9]+)/?$", api.CustomModelDetailApi.as_view(), name="custom-model-detail"
    ),
    re_path(r"^custom_models/(?P<id>[0-9]+)/phrases/?$", api.ModelPhrasesApi.as_view(), name="model-phrases"),
    re_path(
        r"^custom_models/(?P<id>[0-9]+)/display_rules/?$",
        api.ModelDisplayRulesApi.as_view(),
        name="model-display-rules",
    ),
    re_path(
        r"^languages/(?P<code>[A-Za-z0-9-]+)/phrases/?$",
        api.LanguagePhrasesApi.as_view(),
        name="language-phrases",
    ),
    re_path(
        r"^languages/(?P<code>[A-Za-z0-9-]+)/display_rules/?$",
        api.LanguageDisplayRulesApi.as_view(),
        name="language-display-rules",
    ),
]
