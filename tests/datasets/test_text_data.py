"""Sentences of text as training data: upload (PUT /data type=text, tus type=text), the checks that
refuse what is not plain UTF-8 lines, the text limit per model, and the minimum-data rule's text
alternative in POST /validate and POST /run."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from custom_models.models import CustomModel, TrainingStatus
from custom_models.services import custom_model_create
from datasets.models import DatasetFile, Kind
from datasets.selectors import dataset_validate
from tests.conftest import assert_error
from tests.datasets.test_tus import TUS, create, metadata, patch

SENTENCES = "".join(f"The echocardiogram shows mild mitral regurgitation number {n}.\n" for n in range(12))


@pytest.fixture
def model(owner) -> CustomModel:
    return custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")


def put_text(persona, model, content: bytes, name: str = "domain.txt", **fields):
    return persona.client().put(
        f"/api/v3/custom_models/{model.pk}/data",
        {"type": "text", "file": SimpleUploadedFile(name, content), **fields},
        format="multipart",
    )


def stored_files() -> list[str]:
    try:
        return [
            name for folder in default_storage.listdir("datasets")[0] for name in _walk(f"datasets/{folder}")
        ]
    except FileNotFoundError:
        return []


def _walk(prefix: str) -> list[str]:
    folders, files = default_storage.listdir(prefix)
    return files + [name for folder in folders for name in _walk(f"{prefix}/{folder}")]


def test_a_text_file_is_stored_with_its_sentences_counted(owner, model):
    response = put_text(owner, model, ("\ufeff" + SENTENCES + "\n   \n").encode())

    assert response.status_code == 201, response.content
    [stored] = response.json()["files"]
    assert stored["kind"] == "text" and stored["split"] == "train"
    assert stored["segment_count"] == 12
    assert DatasetFile.objects.get(pk=stored["id"]).kind == Kind.TEXT


def test_a_txt_sent_with_type_auto_stays_a_transcript(owner, model):
    response = owner.client().put(
        f"/api/v3/custom_models/{model.pk}/data",
        {"type": "auto", "file": SimpleUploadedFile("notes.txt", SENTENCES.encode())},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["files"][0]["kind"] == "transcript"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"a sentence\n\x00\x01\x02binary\n", "line 2: the file holds binary data"),
        ("Ünïcode\n".encode("latin-1"), "line 1: the file is not UTF-8 text"),
        (b"short\n" + b"x" * (10 * 1024 * 1024), "line 2: a line is longer than 1,000 characters"),
        (b"\n \n\t\n", "the file has no sentences"),
    ],
    ids=["binary", "latin-1", "a-10-MB-line", "blank"],
)
def test_what_is_not_lines_of_text_is_refused_and_nothing_kept(owner, model, content, why):
    response = put_text(owner, model, content)

    body = assert_error(response, 400, "invalid_text")
    assert why in body["message"] and body["details"] == {"file": "domain.txt"}
    assert not DatasetFile.objects.filter(custom_model=model).exists()
    assert stored_files() == []


def test_a_line_of_1000_characters_is_accepted(owner, model):
    assert put_text(owner, model, ("é" * 1000 + "\n").encode()).status_code == 201


def test_only_txt_files_are_text(owner, model):
    body = assert_error(put_text(owner, model, b"hello\n", name="domain.csv"), 400, "unsupported_file_type")
    assert "domain.csv" in body["message"]
    body = assert_error(put_text(owner, model, b"hello\n", name="domain.vtt"), 400, "unsupported_file_type")
    assert "the TEXT type accepts .txt" in body["message"]


def test_a_model_holds_at_most_the_text_limit(owner, model, settings):
    settings.DATASET_MAX_TEXT_BYTES = 1000
    assert put_text(owner, model, b"a" * 50 + b"\n" + b"b" * 549 + b"\n", name="one.txt").status_code == 201

    body = assert_error(
        put_text(owner, model, b"c" * 400 + b"\n", name="two.txt"), 400, "text_limit_exceeded"
    )

    assert body["details"]["used_bytes"] == 601 and body["details"]["max_bytes"] == 1000
    assert list(DatasetFile.objects.filter(custom_model=model).values_list("name", flat=True)) == ["one.txt"]
    assert len(stored_files()) == 1
    # Deleting text frees its share.
    DatasetFile.objects.filter(custom_model=model).delete()
    assert put_text(owner, model, b"c" * 400 + b"\n", name="two.txt").status_code == 201


def test_tus_uploads_text_and_refuses_too_much_before_a_byte(owner, model, settings):
    client = owner.client()
    content = SENTENCES.encode()
    location = create(client, model, len(content), filename="domain.txt", type="text", split="test")
    response = patch(client, location, 0, content)
    assert response.status_code == 204, response.content
    stored = DatasetFile.objects.get(pk=response["Dataset-File-Id"])
    assert (stored.kind, stored.split, stored.segment_count) == ("text", "test", 12)

    settings.DATASET_MAX_TEXT_BYTES = len(content) + 10
    response = client.post(
        f"/api/v3/custom_models/{model.pk}/uploads/",
        HTTP_UPLOAD_LENGTH="11",
        HTTP_UPLOAD_METADATA=metadata(filename="more.txt", type="text"),
        **TUS,
    )
    assert_error(response, 400, "text_limit_exceeded")


def test_tus_refuses_binary_text_when_the_upload_completes(owner, model):
    client = owner.client()
    location = create(client, model, 6, filename="domain.txt", type="text")
    response = patch(client, location, 0, b"ab\x00cd\n")
    assert_error(response, 400, "invalid_text")
    assert not DatasetFile.objects.filter(custom_model=model).exists()


def upload_sentences(model, count: int, name: str = "domain.txt") -> DatasetFile:
    from datasets.services import dataset_file_ingest, staging_path

    source = staging_path()
    source.write_text("".join(f"Sentence number {n} about apixaban.\n" for n in range(count)))
    return dataset_file_ingest(model=model, source=source, filename=name, declared_type="text").file


def test_validation_counts_sentences_and_names_both_minimums(owner, model, settings):
    settings.DATASET_MIN_TEXT_SENTENCES = 200
    upload_sentences(model, 150)

    report = owner.client().post(f"/api/v3/custom_models/{model.pk}/validate").json()

    assert report["text_sentences"] == 150 and report["pairs"] == []
    assert report["errors"] == [
        "At least 200 sentences of text, or 10 minutes of paired audio, are required "
        "(found 150 sentences, 0.0 minutes)"
    ]
    body = assert_error(
        owner.client().post(f"/api/v3/custom_models/{model.pk}/run", {}, format="json"),
        400,
        "INSUFFICIENT_DATA",
    )
    assert body["message"].startswith("At least 200 sentences of text")


def test_enough_text_without_audio_can_train(owner, model, settings):
    settings.DATASET_MIN_TEXT_SENTENCES = 200
    upload_sentences(model, 120, "one.txt")
    upload_sentences(model, 80, "two.txt")

    report = dataset_validate(model=model)

    assert report.errors == [] and report.text_sentences == 200
    assert any("synthetic test split" in warning for warning in report.warnings)
    response = owner.client().post(f"/api/v3/custom_models/{model.pk}/run", {}, format="json")
    assert response.status_code == 202, response.content
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.PROVISIONING


def test_audio_only_models_keep_the_spec_messages(owner, model, audio_dir):
    from datasets.services import dataset_file_ingest, staging_path

    source = staging_path()
    source.write_bytes((audio_dir / "speech.wav").read_bytes())
    dataset_file_ingest(model=model, source=source, filename="a.wav")
    source = staging_path()
    source.write_text("The patient has atrial fibrillation.")
    dataset_file_ingest(model=model, source=source, filename="a.txt")

    assert dataset_validate(model=model).errors[0] == (
        "Dataset too small: at least 2 matched audio + transcript pairs are required (found 1)"
    )
    assert dataset_validate(model=model).text_sentences == 0


def test_outsider_cannot_upload_text(outsider, model):
    assert_error(put_text(outsider, model, SENTENCES.encode()), 404, "MODEL_NOT_FOUND")
    assert not DatasetFile.objects.exists()


def test_text_limit_is_a_setting_on_the_line_too(owner, model, settings):
    settings.DATASET_MAX_TEXT_LINE_CHARS = 10
    assert_error(put_text(owner, model, b"short\n" + b"y" * 11 + b"\n"), 400, "invalid_text")
    assert put_text(owner, model, b"short\n" + b"y" * 10 + b"\n").status_code == 201


def test_stored_text_reads_back(model):
    stored = upload_sentences(model, 3)
    with default_storage.open(stored.file.name, "rb") as handle:
        assert handle.read().decode().count("\n") == 3
    assert Path(stored.file.name).suffix == ".txt"


def test_test_split_text_is_counted_but_does_not_meet_the_minimum(owner, model, settings):
    settings.DATASET_MIN_TEXT_SENTENCES = 10
    upload_sentences(model, 8, "train.txt")
    stored = upload_sentences(model, 30, "test.txt")
    stored.split = "test"
    stored.save()

    report = dataset_validate(model=model)

    assert report.text_sentences == 38 and report.insufficient
    assert "(found 8 sentences, 0.0 minutes)" in report.errors[0]
