"""Reads for languages and custom models, always scoped to the caller's organisation."""

from django.db.models import QuerySet

from accounts.models import Organisation
from config.errors import ApplicationError
from custom_models.models import CustomModel, Language


def language_list_trainable(*, organisation: Organisation) -> QuerySet[Language]:
    """Trainable base languages published to the organisation: what a model may be created on."""
    return Language.objects.filter(trainable=True, publications__organisation=organisation).order_by("name")


def language_list_published(*, organisation: Organisation) -> QuerySet[Language]:
    return Language.objects.filter(publications__organisation=organisation).order_by("name")


def published_language_get(*, organisation: Organisation, code: str) -> Language:
    """A language by its code, published to the organisation: invalid-language (400) for an unknown
    code, language-not-published (403) for one it was not given."""
    language = Language.objects.filter(code=code).first()
    if language is None:
        raise ApplicationError("Invalid language", error_code="invalid-language", status=400)
    if not language.publications.filter(organisation=organisation).exists():
        raise ApplicationError(
            "The language is not published to your organization",
            error_code="language-not-published",
            status=403,
        )
    return language


def custom_model_list(*, organisation: Organisation) -> QuerySet[CustomModel]:
    return CustomModel.objects.alive().filter(organisation=organisation).select_related("language")


def custom_model_get(*, organisation: Organisation, id: int) -> CustomModel:
    """The organisation's live model, or MODEL_NOT_FOUND: another tenant's model does not exist for you."""
    model = custom_model_list(organisation=organisation).filter(pk=id).first()
    if model is None:
        raise ApplicationError(
            f"Custom model {id} not found.", error_code="MODEL_NOT_FOUND", status=404, details={"id": id}
        )
    return model
