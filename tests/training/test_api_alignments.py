import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from custom_models.services import custom_model_create
from datasets.transcripts import Segment, format_srt, format_vtt, parse_srt, parse_vtt
from tests.conftest import assert_error
from training.alignment import alignment_job_add_to_model, alignment_job_run
from training.models import AlignmentJob

URL = "/api/v3/alignments"


def post(persona, audio_dir, text: bytes = b"The patient has atrial fibrillation.\n", **fields):
    with open(audio_dir / "speech.wav", "rb") as clip:
        return persona.client().post(
            URL, {"audio_file": clip, "transcript_file": SimpleUploadedFile("t.txt", text), **fields}
        )


def test_vtt_and_srt_round_trip_through_the_parsers():
    segments = [Segment(0.0, 1.25, "first line"), Segment(3723.004, 3725.5, "second line")]
    assert parse_vtt(format_vtt(segments)) == segments
    assert parse_srt(format_srt(segments)) == segments
    assert format_srt(segments).startswith("1\n00:00:00,000 --> 00:00:01,250\nfirst line\n\n2\n")


def test_a_job_is_accepted_with_one_cue_per_line(owner, audio_dir, tiny_base):
    response = post(owner, audio_dir, text=b"first line\n\n  second   line \n", language="en")
    assert response.status_code == 202, response.content
    job = AlignmentJob.objects.get(pk=response.json()["id"])
    assert job.lines == ["first line", "second line"]
    body = owner.client().get(f"{URL}/{job.pk}").json()
    assert body["status"] == "queued" and body["segments"] == []


def test_a_transcript_that_does_not_match_fails_clearly(owner, audio_dir, tiny_base):
    # The tiny model hears nothing it can place: the job fails with a reason, never silent garbage.
    job_id = post(owner, audio_dir, language="en").json()["id"]
    assert alignment_job_run(job_id=job_id) == "failed"
    body = owner.client().get(f"{URL}/{job_id}").json()
    assert body["status"] == "failed" and "does not match the audio" in body["error"]
    assert_error(
        owner.client().get(f"{URL}/{job_id}/download", {"format": "vtt"}), 409, "alignment_not_ready"
    )


def test_download_formats_and_adding_to_a_model(owner, audio_dir, tiny_base):
    job_id = post(owner, audio_dir, language="en").json()["id"]
    AlignmentJob.objects.filter(pk=job_id).update(
        status="done",
        segments=[
            {"start": 0.1, "end": 2.2, "text": "The patient has atrial fibrillation.", "confidence": 0.9}
        ],
    )
    vtt = owner.client().get(f"{URL}/{job_id}/download", {"format": "vtt"})
    assert vtt.status_code == 200 and vtt["Content-Disposition"].endswith('speech.vtt"')
    assert parse_vtt(vtt.content.decode()) == [Segment(0.1, 2.2, "The patient has atrial fibrillation.")]
    srt = owner.client().get(f"{URL}/{job_id}/download", {"format": "srt"})
    assert srt.content.decode().startswith("1\n00:00:00,100 --> 00:00:02,200")
    assert_error(owner.client().get(f"{URL}/{job_id}/download", {"format": "doc"}), 422, "INVALID_INPUT")

    model = custom_model_create(organisation=owner.organisation, name="Cardiology", language="en")
    results = alignment_job_add_to_model(job=AlignmentJob.objects.get(pk=job_id), model=model)
    assert sorted(r.file.name for r in results) == ["speech.vtt", "speech.wav"]
    assert {f.kind for f in model.dataset_files.all()} == {"audio", "transcript"}


@pytest.mark.parametrize(
    "text, code", [(b"  \n\n", "invalid_transcript"), (b"\xff\xfe\x00bad", "invalid_transcript")]
)
def test_bad_transcripts_are_refused(owner, audio_dir, tiny_base, text, code):
    assert_error(post(owner, audio_dir, text=text, language="en"), 400, code)
    assert not AlignmentJob.objects.exists()


def test_unsupported_media_is_the_datasets_error(owner, tiny_base):
    response = owner.client().post(
        URL,
        {
            "audio_file": SimpleUploadedFile("slides.pdf", b"%PDF"),
            "transcript_file": SimpleUploadedFile("t.txt", b"hello"),
            "language": "en",
        },
    )
    assert_error(response, 400, "unsupported_file_type")


def test_outsider_cannot_see_a_job(owner, outsider, audio_dir, tiny_base):
    job_id = post(owner, audio_dir, language="en").json()["id"]
    assert_error(outsider.client().get(f"{URL}/{job_id}"), 404, "JOB_NOT_FOUND")
    assert_error(outsider.client().get(f"{URL}/{job_id}/download"), 404, "JOB_NOT_FOUND")
