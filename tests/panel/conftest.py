from collections.abc import Callable

import pytest
from django.test import Client

from custom_models.models import CustomModel, Language, TrainingStatus
from custom_models.services import custom_model_create, language_publish


@pytest.fixture
def login() -> Callable[..., Client]:
    def login(persona, **client_kwargs) -> Client:
        client = Client(**client_kwargs)
        assert client.login(username=persona.user.username, password=persona.user.username)
        return client

    return login


@pytest.fixture
def htmx() -> dict:
    """Headers htmx sends with its requests."""
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def make_model(owner) -> Callable[..., CustomModel]:
    def make_model(
        name: str = "Cardiology EN", status: int = TrainingStatus.NOT_RUNNING, **fields
    ) -> CustomModel:
        model = custom_model_create(organisation=owner.organisation, name=name, language="en", by=owner.user)
        if status != TrainingStatus.NOT_RUNNING or fields:
            CustomModel.objects.filter(pk=model.pk).update(training_status=status, **fields)
            model.refresh_from_db()
        return model

    return make_model


@pytest.fixture
def untrainable(organisation) -> Language:
    """Published to the organisation, but not a trainable base."""
    language = Language.objects.create(code="fr", name="French", trainable=False)
    language_publish(language=language, organisation=organisation)
    return language
