from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import config.schema  # noqa: F401  registers the Bearer API key scheme before any schema is generated
from config.api import not_found

api_v3 = [
    path("", include("custom_models.urls")),
    path("", include("datasets.urls")),
    path("", include("training.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Last: an address under /api/v3/ that nothing above matches.
    re_path(r"", not_found),
]

urlpatterns = [
    path("api/v3/", include(api_v3)),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("panel.urls")),
]
