from pathlib import Path

import pytest

from tests.training.tiny_model import build_tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture
def tiny_base(english, tiny_model_dir, settings):
    """English's general base is the tiny model."""
    english.base_models.update(path=str(tiny_model_dir))
    return tiny_model_dir
