import pytest

from custom_models.models import CustomModel
from custom_models.services import custom_model_create
from datasets.selectors import dataset_validate
from tests.conftest import assert_error
from tests.datasets.factories import add_file, add_pairs


@pytest.fixture
def model(owner) -> CustomModel:
    return custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")


def validate(owner, model) -> dict:
    response = owner.client().post(f"/api/v3/custom_models/{model.pk}/validate")
    assert response.status_code == 200, response.content
    return response.json()


def test_report_has_the_documented_shape_and_starts_nothing(owner, model):
    add_pairs(model, 3, 240)
    body = validate(owner, model)
    assert set(body) == {"errors", "warnings", "unmatched_audio", "pairs", "total_minutes", "text_sentences"}
    assert body["errors"] == []
    assert body["total_minutes"] == 12.0
    assert body["pairs"][0] == {
        "audio": "talk0.wav",
        "transcript": "talk0.vtt",
        "split": "train",
        "duration": 240,
    }
    model.refresh_from_db()
    assert model.training_status == 1


def test_no_files_at_all(model):
    report = dataset_validate(model=model)
    assert not report.has_files
    assert report.errors == ["No data uploaded: upload audio files and their transcripts first."]


def test_at_least_one_transcript_is_required(model):
    add_file(model, "a.wav", "audio", 700)
    assert dataset_validate(model=model).errors[0] == "At least one transcript file is required"


def test_at_least_two_matched_pairs(model):
    add_pairs(model, 1, 900)
    assert dataset_validate(model=model).errors == [
        "Dataset too small: at least 2 matched audio + transcript pairs are required (found 1)"
    ]


def test_at_least_ten_minutes_with_the_spec_message(model):
    add_pairs(model, 2, 129)  # 4.3 minutes
    assert dataset_validate(model=model).errors == [
        "Need minimum 10 minutes total duration (found 4.3 minutes)"
    ]


def test_ten_files_when_durations_are_unknown(model):
    add_pairs(model, 9, None)
    errors = dataset_validate(model=model).errors
    assert errors == [
        "Insufficient audio: at least 10 matched audio files are required "
        "while durations are unknown (found 9)"
    ]
    add_pairs(model, 1, None, prefix="more")
    assert dataset_validate(model=model).errors == []


def test_pairing_is_by_stem_case_insensitive(model):
    add_file(model, "Talk1.m4a", "audio", 400, converted_from="Talk1.mp4")
    add_file(model, "talk1.vtt", "transcript")
    add_file(model, "interview_03.wav", "audio", 400)
    add_file(model, "INTERVIEW_03.SRT", "transcript")
    report = dataset_validate(model=model)
    assert {(p["audio"], p["transcript"]) for p in report.pairs} == {
        ("interview_03.wav", "INTERVIEW_03.SRT"),
        ("Talk1.m4a", "talk1.vtt"),
    }
    assert report.errors == []


def test_unmatched_audio_is_listed_not_an_error(model):
    add_pairs(model, 2, 300)
    add_file(model, "orphan.wav", "audio", 60)
    report = dataset_validate(model=model)
    assert report.errors == []
    assert report.unmatched_audio == ["orphan.wav"]


def test_manifest_pairs_the_audio_it_names(model):
    add_file(model, "a.wav", "audio", 300)
    add_file(model, "b.wav", "audio", 300)
    add_file(model, "m.jsonl", "manifest", manifest_audio=["a.wav", "b.wav", "c.wav"])
    report = dataset_validate(model=model)
    assert len(report.pairs) == 2 and report.errors == []
    assert any("c.wav" in w for w in report.warnings)


@pytest.mark.parametrize("name", ["audiomass-output (1).mp3", "a;b.wav", "$(x).wav", "tab\t.wav", "ünï.wav"])
def test_unsafe_filenames_are_rejected_by_name(model, name):
    add_pairs(model, 2, 300)
    add_file(model, name, "audio", 10)
    assert f"Unsafe filename: '{name}'" in dataset_validate(model=model).errors


def test_fewer_than_five_hours_is_a_warning_not_an_error(model):
    add_pairs(model, 2, 300)
    report = dataset_validate(model=model)
    assert report.errors == []
    assert any(w.startswith("Less than 5 hours of audio") for w in report.warnings)
    assert any("20% of the pairs will be held out" in w for w in report.warnings)


def test_uploaded_test_split_means_no_hold_out_warning(model):
    add_pairs(model, 2, 300)
    add_pairs(model, 1, 60, split="test", prefix="eval")
    assert not any("held out" in w for w in dataset_validate(model=model).warnings)


def test_outsider_cannot_validate(outsider, model):
    assert_error(outsider.client().post(f"/api/v3/custom_models/{model.pk}/validate"), 404, "MODEL_NOT_FOUND")
