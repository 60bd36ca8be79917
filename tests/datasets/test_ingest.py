import shutil
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from config.errors import ApplicationError
from custom_models.models import CustomModel
from datasets import media
from datasets.models import DatasetFile
from datasets.services import UploadItem, dataset_file_ingest, dataset_files_ingest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts"


@pytest.fixture
def model(owner) -> CustomModel:
    from custom_models.services import custom_model_create

    return custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")


def staged(source: Path, settings) -> Path:
    target = Path(settings.UPLOAD_STAGING_DIR) / f"copy-{source.name}"
    shutil.copyfile(source, target)
    return target


def ingest(model, source, settings, filename=None, **kwargs):
    return dataset_file_ingest(
        model=model, source=staged(source, settings), filename=filename or source.name, **kwargs
    )


def staging_is_empty(settings) -> bool:
    return not any(Path(settings.UPLOAD_STAGING_DIR).iterdir())


def test_audio_is_stored_with_its_measured_duration(model, audio_dir, settings):
    result = ingest(model, audio_dir / "tone.wav", settings)
    assert not result.skipped
    stored = result.file
    assert stored.kind == "audio" and stored.split == "train"
    assert stored.duration == pytest.approx(3.0, abs=0.05)
    assert stored.size == (audio_dir / "tone.wav").stat().st_size
    assert default_storage.exists(stored.file.name)
    assert staging_is_empty(settings)


def test_video_becomes_mono_16k_m4a_and_the_video_is_discarded(model, audio_dir, settings):
    stored = ingest(model, audio_dir / "clip.mp4", settings, filename="Talk1.mp4").file
    assert stored.name == "Talk1.m4a"
    assert stored.converted_from == "Talk1.mp4"
    assert stored.file.name.endswith(".m4a")
    assert stored.duration == pytest.approx(2.0, abs=0.1)
    info = media.audio_stream_info(default_storage.path(stored.file.name))
    assert info == {"codec": "aac", "sample_rate": 16000, "channels": 1}
    assert list(Path(settings.MEDIA_ROOT).rglob("*.mp4")) == []
    assert staging_is_empty(settings)


@pytest.mark.parametrize("fixture", ["corrupt.mp3", "empty.wav"])
def test_corrupt_or_empty_media_is_refused_naming_the_file_and_leaves_nothing(
    model, audio_dir, settings, fixture
):
    with pytest.raises(ApplicationError) as error:
        ingest(model, audio_dir / fixture, settings, filename=f"my-{fixture}")
    assert error.value.error_code == "invalid_media"
    assert f"'my-{fixture}'" in error.value.message
    assert not DatasetFile.objects.exists()
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*.*"))
    assert staging_is_empty(settings)


def test_transcripts_are_parsed_and_counted(model, settings):
    vtt = ingest(model, FIXTURES / "talk1.vtt", settings).file
    assert vtt.kind == "transcript" and vtt.segment_count == 4
    manifest = ingest(model, FIXTURES / "manifest.jsonl", settings).file
    assert manifest.kind == "manifest" and manifest.manifest_audio == ["talk4.wav"]


def test_malformed_transcript_is_refused_with_its_line(model, settings):
    with pytest.raises(ApplicationError) as error:
        ingest(model, FIXTURES / "bad_timing.srt", settings)
    assert error.value.error_code == "invalid_transcript"
    assert "'bad_timing.srt': line 1" in error.value.message
    assert staging_is_empty(settings)


def test_unknown_extension_is_refused(model, audio_dir, settings):
    with pytest.raises(ApplicationError) as error:
        ingest(model, audio_dir / "tone.wav", settings, filename="notes.docx")
    assert error.value.error_code == "unsupported_file_type"
    assert ".docx" not in error.value.details["allowed"]
    assert staging_is_empty(settings)


def test_audio_type_refuses_transcripts_and_the_reverse(model, audio_dir, settings):
    with pytest.raises(ApplicationError, match="not audio or video"):
        ingest(model, FIXTURES / "talk1.vtt", settings, declared_type="audio")
    with pytest.raises(ApplicationError, match="not a transcript"):
        ingest(model, audio_dir / "tone.wav", settings, declared_type="transcript")


def test_same_name_is_skipped_and_the_older_file_stays(model, audio_dir, settings):
    first = ingest(model, audio_dir / "tone.wav", settings, filename="a.wav").file
    again = ingest(model, audio_dir / "speech.wav", settings, filename="A.WAV")
    assert again.skipped and again.file is None
    assert list(DatasetFile.objects.values_list("pk", flat=True)) == [first.pk]
    assert staging_is_empty(settings)


def test_without_ffmpeg_audio_is_ffmpeg_unavailable(model, audio_dir, settings, monkeypatch):
    monkeypatch.setattr(media, "ffmpeg_available", lambda: False)  # as on a server without ffmpeg
    with pytest.raises(ApplicationError) as error:
        ingest(model, audio_dir / "clip.mp4", settings)
    assert error.value.error_code == "ffmpeg_unavailable"
    assert staging_is_empty(settings)


@pytest.mark.parametrize(
    "filename", ["../../etc/passwd.wav", "$(touch pwned).wav", "a;rm -rf b.wav", "-rf.wav"]
)
def test_hostile_names_never_become_paths_or_commands(
    model, audio_dir, settings, filename, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    stored = ingest(model, audio_dir / "tone.wav", settings, filename=filename).file
    assert stored.name == Path(filename).name
    root = Path(settings.MEDIA_ROOT).resolve()
    assert Path(default_storage.path(stored.file.name)).resolve().is_relative_to(root / "datasets")
    assert "passwd" not in stored.file.name and "touch" not in stored.file.name
    assert not (tmp_path / "pwned").exists()


def test_a_pair_is_all_or_nothing(model, audio_dir, settings):
    items = [
        UploadItem(staged(FIXTURES / "talk1.vtt", settings), "talk1.vtt", "transcript"),
        UploadItem(staged(audio_dir / "corrupt.mp3", settings), "talk1.mp3", "audio"),
    ]
    with pytest.raises(ApplicationError):
        dataset_files_ingest(model=model, items=items, split="train")
    assert not DatasetFile.objects.exists()
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.*"))
    assert staging_is_empty(settings)
