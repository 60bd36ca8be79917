"""REST API v3 for custom models: each method parses, calls one service or selector, answers."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.selectors import membership_for_request
from custom_models import selectors, services, vocabulary
from custom_models.serializers import (
    CustomModelCreateInput,
    CustomModelOutput,
    CustomModelPageOutput,
    CustomModelUpdateInput,
    LanguageListOutput,
    LanguageOutput,
)


class HasAutomaticTraining(permissions.BasePermission):
    """Custom models exist only for plans with the Automatic Training feature."""

    def has_permission(self, request, view) -> bool:
        services.require_automatic_training(membership_for_request(request).organisation)
        return True


class CustomModelsView(APIView):
    """Base for custom model endpoints: authenticated, feature-gated."""

    permission_classes = [permissions.IsAuthenticated, HasAutomaticTraining]

    def membership(self):
        return membership_for_request(self.request)

    def get_model(self, id: int):
        return selectors.custom_model_get(organisation=self.membership().organisation, id=id)


class LanguageListApi(APIView):
    throttle_scopes = {"GET": "status_check"}

    @extend_schema(responses=LanguageListOutput)
    def get(self, request):
        languages = selectors.language_list_trainable(
            organisation=membership_for_request(request).organisation
        )
        return Response({"results": LanguageOutput(languages, many=True).data})


class CustomModelListCreateApi(CustomModelsView):
    throttle_scopes = {"GET": "status_check", "POST": "model_create"}
    # Beyond the common ones (config/schema.py): a page past the last; a plan limit, a taken name.
    error_responses = {"GET": (404,), "POST": (402, 409)}

    @extend_schema(
        operation_id="custom_models_list",
        parameters=[
            OpenApiParameter("page", int, description="The page number, from 1."),
            OpenApiParameter("page_size", int, description="Models per page: 20 unless given, at most 100."),
        ],
        responses=CustomModelPageOutput,
    )
    def get(self, request):
        models = selectors.custom_model_list(organisation=self.membership().organisation)
        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        page = paginator.paginate_queryset(models, request, view=self)
        return paginator.get_paginated_response(CustomModelOutput(page, many=True).data)

    @extend_schema(request=CustomModelCreateInput, responses={201: CustomModelOutput})
    def post(self, request):
        data = _valid(CustomModelCreateInput, request.data)
        model = services.custom_model_create(
            organisation=self.membership().organisation, by=request.user, **data
        )
        return Response(CustomModelOutput(model).data, status=status.HTTP_201_CREATED)


class CustomModelDetailApi(CustomModelsView):
    throttle_scopes = {"GET": "status_check"}
    error_responses = {"POST": (409,)}  # the new name is taken

    @extend_schema(responses=CustomModelOutput)
    def get(self, request, id: int):
        return Response(CustomModelOutput(self.get_model(id)).data)

    @extend_schema(
        operation_id="custom_models_update", request=CustomModelUpdateInput, responses=CustomModelOutput
    )
    def post(self, request, id: int):
        model = self.get_model(id)
        data = _valid(CustomModelUpdateInput, request.data)
        model = services.custom_model_update(model=model, **data)
        return Response(CustomModelOutput(model).data)

    @extend_schema(responses={204: None})
    def delete(self, request, id: int):
        services.custom_model_delete(model=self.get_model(id), by=self.membership())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# ---- Vocabulary: phrase lists and display rules (custom_models.vocabulary) ----------------------


class PhrasesBody(serializers.Serializer):
    phrases = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        help_text=f"At most {vocabulary.MAX_PHRASES} phrases of at most {vocabulary.MAX_PHRASE_CHARS} "
        "characters; decoding favours them by score (Whisper models only).",
    )


class DisplayRule(serializers.Serializer):
    written = serializers.CharField(
        allow_blank=True, help_text="What the model writes (whole words, any case)."
    )
    display = serializers.CharField(allow_blank=True, help_text="What the user sees instead; never empty.")


class DisplayRulesBody(serializers.Serializer):
    display_rules = DisplayRule(many=True, help_text=f"At most {vocabulary.MAX_DISPLAY_RULES} rules.")


def _vocabulary_view(owner):
    """A GET/PUT pair for one part of a vocabulary; `owner(view, request, **kwargs)` finds it."""

    class PhrasesApi(APIView):
        permission_classes = [permissions.IsAuthenticated]
        throttle_scopes = {"GET": "status_check"}
        error_responses = {"GET": (400, 403), "PUT": (400, 403)}

        @extend_schema(responses=PhrasesBody)
        def get(self, request, **kwargs):
            return Response({"phrases": owner(self, request, **kwargs).phrases})

        @extend_schema(request=PhrasesBody, responses=PhrasesBody)
        def put(self, request, **kwargs):
            phrases = request.data.get("phrases") if isinstance(request.data, dict) else None
            saved = vocabulary.vocabulary_update(
                vocabulary=owner(self, request, **kwargs), phrases=phrases or []
            )
            return Response({"phrases": saved.phrases})

    class DisplayRulesApi(APIView):
        permission_classes = [permissions.IsAuthenticated]
        throttle_scopes = {"GET": "status_check"}
        error_responses = {"GET": (400, 403), "PUT": (400, 403)}

        @extend_schema(responses=DisplayRulesBody)
        def get(self, request, **kwargs):
            return Response({"display_rules": owner(self, request, **kwargs).display_rules})

        @extend_schema(request=DisplayRulesBody, responses=DisplayRulesBody)
        def put(self, request, **kwargs):
            rules = request.data.get("display_rules") if isinstance(request.data, dict) else None
            saved = vocabulary.vocabulary_update(
                vocabulary=owner(self, request, **kwargs), display_rules=rules if rules is not None else []
            )
            return Response({"display_rules": saved.display_rules})

    return PhrasesApi, DisplayRulesApi


def _model_vocabulary(view, request, id: str):
    membership = membership_for_request(request)
    services.require_automatic_training(membership.organisation)
    return vocabulary.vocabulary_of_model(
        model=selectors.custom_model_get(organisation=membership.organisation, id=int(id))
    )


def _language_vocabulary(view, request, code: str):
    return vocabulary.vocabulary_of_language(
        organisation=membership_for_request(request).organisation, code=code
    )


ModelPhrasesApi, ModelDisplayRulesApi = _vocabulary_view(_model_vocabulary)
LanguagePhrasesApi, LanguageDisplayRulesApi = _vocabulary_view(_language_vocabulary)
