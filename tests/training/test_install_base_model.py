from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from custom_models.models import BaseModel, Language


def test_a_loadable_directory_is_copied_and_registered(db, english, tiny_model_dir, settings, tmp_path):
    settings.MODELS_DIR = tmp_path / "models"
    out = StringIO()
    call_command("install_base_model", "en", "medical", str(tiny_model_dir), stdout=out)
    base = BaseModel.objects.get(language=english, domain="medical")
    assert (settings.MODELS_DIR / base.path / "hyperparams.yaml").exists()
    assert base.source == str(tiny_model_dir)
    assert "medical base of English (US)" in out.getvalue()


def test_a_new_language_can_be_installed(db, tiny_model_dir, settings, tmp_path):
    settings.MODELS_DIR = tmp_path / "models"
    arguments = ["en-GB", "general", str(tiny_model_dir), "--name", "English (UK)", "--trainable"]
    call_command("install_base_model", *arguments, stdout=StringIO())
    language = Language.objects.get(code="en-GB")
    assert language.name == "English (UK)" and language.trainable


def test_a_directory_that_does_not_load_is_refused(db, english, tmp_path, settings):
    settings.MODELS_DIR = tmp_path / "models"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "hyperparams.yaml").write_text("encoder: !new:does.not.Exist\n")
    with pytest.raises(CommandError, match="not a loadable model directory"):
        call_command("install_base_model", "en", "legal", str(broken))
    assert not BaseModel.objects.filter(domain="legal").exists()


def test_a_repo_id_without_internet_fails_clearly(db, english, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CommandError, match="could not fetch"):
        call_command("install_base_model", "en", "legal", "speechbrain/asr-crdnn-rnnlm-librispeech")
