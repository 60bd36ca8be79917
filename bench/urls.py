"""The app's URLs plus bare views that answer the same JSON with no framework work."""

from functools import cache

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns


@cache
def _payload(kind: str) -> bytes:
    # Rendered once through the real serializer, then served as bytes.
    from rest_framework.renderers import JSONRenderer
    from rest_framework.test import APIRequestFactory

    from custom_models.models import CustomModel
    from custom_models.serializers import CustomModelOutput

    models = CustomModel.objects.alive().select_related("language").order_by("-updated_at", "-pk")
    if kind == "detail":
        return JSONRenderer().render(CustomModelOutput(models.first()).data)
    request = APIRequestFactory().get("/api/v3/custom_models")
    rows = CustomModelOutput(models[:20], many=True, context={"request": request}).data
    return JSONRenderer().render({"count": models.count(), "next": None, "previous": None, "results": rows})


def bare_list(request):
    return HttpResponse(_payload("list"), content_type="application/json")


def bare_detail(request):
    return HttpResponse(_payload("detail"), content_type="application/json")


urlpatterns = [
    path("bench/bare/list", bare_list),
    path("bench/bare/detail", bare_detail),
    *app_urlpatterns,
]
