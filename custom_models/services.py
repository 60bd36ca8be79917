"""Writes for custom models and language publications."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Membership, Organisation
from accounts.selectors import acting_user
from accounts.services import membership_require_admin
from config.errors import ApplicationError
from custom_models.models import CustomModel, Domain, Language, LanguagePublication, TrainingStatus

NAME_MIN_LENGTH = 2


def custom_model_key(name: str) -> str:
    """The internal key of a model name: two names that slug alike collide."""
    return slugify(name, allow_unicode=True)


def _check_name(name: str) -> str:
    name = name.strip()
    if len(name) < NAME_MIN_LENGTH:
        raise ApplicationError(
            f"Name must be at least {NAME_MIN_LENGTH} characters.",
            error_code="INVALID_INPUT",
            status=422,
            details={"name": [f"Ensure this field has at least {NAME_MIN_LENGTH} characters."]},
        )
    if not custom_model_key(name):
        raise ApplicationError(
            "Name must contain at least one letter or digit.",
            error_code="INVALID_INPUT",
            status=422,
            details={"name": ["Name must contain at least one letter or digit."]},
        )
    return name


def _language_exists(key: str) -> ApplicationError:
    return ApplicationError(
        "Language already exists: a custom model with this name already exists in your organization.",
        error_code="language-exists",
        status=409,
        details={"key": key},
    )


def require_automatic_training(organisation: Organisation) -> None:
    if not organisation.has_automatic_training:
        raise ApplicationError(
            "Feature not available: your plan does not include Automatic Training.",
            error_code="FEATURE_NOT_AVAILABLE",
            status=403,
        )


def _trainable_language(*, organisation: Organisation, code: str) -> Language:
    language = Language.objects.filter(code=code).first()
    if language is None or not language.trainable:
        raise ApplicationError(
            "Invalid language", error_code="invalid-language", status=400, details={"language": code}
        )
    if not LanguagePublication.objects.filter(language=language, organisation=organisation).exists():
        raise ApplicationError(
            "The language is not published to your organization",
            error_code="language-not-published",
            status=403,
            details={"language": code},
        )
    return language


def custom_model_create(
    *,
    organisation: Organisation,
    name: str,
    language: str,
    by: AbstractBaseUser | None = None,
    base_model: str = Domain.GENERAL,
    description: str = "",
) -> CustomModel:
    require_automatic_training(organisation)
    name = _check_name(name)
    language_obj = _trainable_language(organisation=organisation, code=language)
    key = custom_model_key(name)

    with transaction.atomic():
        live = CustomModel.objects.alive().select_for_update().filter(organisation=organisation)
        limit = organisation.plan.max_custom_models
        if limit is not None and live.count() >= limit:
            raise ApplicationError(
                f"Your plan allows {limit} custom models. Delete one or upgrade your plan.",
                error_code="MODEL_LIMIT_EXCEEDED",
                status=402,
                details={"limit": limit},
            )
        if live.filter(key=key).exists():
            raise _language_exists(key)
        try:
            with transaction.atomic():
                return CustomModel.objects.create(
                    organisation=organisation,
                    name=name,
                    key=key,
                    language=language_obj,
                    base_model=base_model,
                    description=description,
                    created_by=acting_user(by),
                )
        except IntegrityError as exc:  # a concurrent create with the same key won the race
            raise _language_exists(key) from exc


def _check_base_unchanged(*, model: CustomModel, language: str | None, base_model: str | None) -> None:
    """The base language and domain are fixed at creation: sending them back unchanged is
    harmless (clients echo the whole model), sending a different one is refused."""
    for field, sent, current in (
        ("language", language, model.language.code),
        ("base_model", base_model, model.base_model),
    ):
        if sent is not None and sent != current:
            raise ApplicationError(
                "Only the name and description can be changed; the base language is fixed.",
                error_code="INVALID_INPUT",
                status=422,
                details={field: ["This field cannot be changed after creation."]},
            )


def custom_model_update(
    *,
    model: CustomModel,
    name: str | None = None,
    description: str | None = None,
    language: str | None = None,
    base_model: str | None = None,
) -> CustomModel:
    """Rename or re-describe a model. The base language is fixed at creation."""
    _check_base_unchanged(model=model, language=language, base_model=base_model)
    fields = ["updated_at"]
    if name is not None:
        name = _check_name(name)
        key = custom_model_key(name)
        if key != model.key:
            clash = CustomModel.objects.alive().filter(organisation=model.organisation, key=key)
            if clash.exclude(pk=model.pk).exists():
                raise _language_exists(key)
            model.key = key
            fields.append("key")
        model.name = name
        fields.append("name")
    if description is not None:
        model.description = description
        fields.append("description")
    try:
        with transaction.atomic():
            model.save(update_fields=fields)
    except IntegrityError as exc:
        raise _language_exists(model.key) from exc
    return model


def custom_model_delete(*, model: CustomModel, by: Membership) -> None:
    """Soft delete: the model and its dataset files (DatasetFileQuerySet.alive) vanish from every
    list at once; no restore. A running training is stopped by its supervisor; a queued one fails
    when a worker claims it, or when the sweeper finds it waited too long."""
    membership_require_admin(by=by, action="delete custom models")
    model.deleted_at = timezone.now()
    model.enabled = False
    if model.training_status in {TrainingStatus.PROVISIONING, TrainingStatus.RUNNING}:
        model.training_status = TrainingStatus.FAILED
        model.status_message = "The model was deleted while training."
    model.save(update_fields=["deleted_at", "enabled", "training_status", "status_message", "updated_at"])


def language_publish(
    *, language: Language, organisation: Organisation, by: Organisation | None = None
) -> LanguagePublication:
    """Publish a language to an organisation.

    `by=None` is the operator. A reseller may grant only languages published to
    itself, and only to its own resellees.
    """
    if by is not None:
        if organisation.reseller_id != by.pk:
            raise ApplicationError(
                f"{organisation} is not a resellee of {by}.", error_code="PERMISSION_DENIED", status=403
            )
        if not LanguagePublication.objects.filter(language=language, organisation=by).exists():
            raise ApplicationError(
                "The language is not published to your organization",
                error_code="language-not-published",
                status=403,
                details={"language": language.code},
            )
    publication, _ = LanguagePublication.objects.get_or_create(
        language=language, organisation=organisation, defaults={"granted_by": by}
    )
    return publication


def language_unpublish(*, language: Language, organisation: Organisation) -> None:
    """Withdraw a language, and with it every grant a reseller made of it downstream."""
    LanguagePublication.objects.filter(language=language, organisation=organisation).delete()
    LanguagePublication.objects.filter(language=language, granted_by=organisation).delete()
