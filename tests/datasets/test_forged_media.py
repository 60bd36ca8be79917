"""Files whose headers lie about their length: the stored duration is the decoded audio's.

Each forgery is a real 2.3 s recording with the one header field that declares its
length raised to a huge value; ffprobe believes all but the WAV. Uploaded through
PUT /data, each must be stored (or converted) with its true duration, so validation
never counts hours that are not there.
"""

import struct
import subprocess
from pathlib import Path

import pytest

from custom_models.services import custom_model_create
from datasets.models import DatasetFile
from tests.datasets.test_api_data import put

SECONDS = 2.3


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def _tone(path: Path, *codec: str, video: bool = False) -> bytearray:
    inputs = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}:sample_rate=16000"]
    if video:
        inputs += ["-f", "lavfi", "-i", f"color=c=black:s=64x64:d={SECONDS}", "-shortest"]
    _ffmpeg(*inputs, *codec, str(path))
    return bytearray(path.read_bytes())


def forged_flac(path: Path) -> bytes:
    data = _tone(path)
    # STREAMINFO's 36-bit total-samples field starts in the low nibble of byte 21.
    data[21] |= 0x0F
    data[22:26] = b"\xff\xff\xff\xff"
    return data


def forged_mp3(path: Path) -> bytes:
    data = _tone(path, "-c:a", "libmp3lame", "-b:a", "32k")
    tag = max(data.find(b"Xing"), data.find(b"Info"))
    assert int.from_bytes(data[tag + 4 : tag + 8], "big") & 1, "the Xing header carries a frame count"
    data[tag + 8 : tag + 12] = (0x0FFFFFFF).to_bytes(4, "big")
    return data


def _forged_mp4_durations(data: bytearray) -> bytearray:
    for box in (b"mvhd", b"mdhd", b"tkhd"):
        at = 0
        while (at := data.find(box, at)) >= 0:
            version = data[at + 4]
            # mvhd/mdhd: created, modified, timescale, duration; tkhd: created, modified, id, reserved.
            field = (
                at + 8 + (16 if version == 0 else 24)
                if box == b"tkhd"
                else at + 8 + (12 if version == 0 else 20)
            )
            if version == 0:
                data[field : field + 4] = b"\x7f\xff\xff\xff"
            at += 4
    return data


def forged_m4a(path: Path) -> bytes:
    return _forged_mp4_durations(_tone(path, "-c:a", "aac"))


def forged_mp4(path: Path) -> bytes:
    return _forged_mp4_durations(_tone(path, "-c:v", "libx264", "-c:a", "aac", video=True))


def forged_mkv(path: Path) -> bytes:
    data = _tone(path, "-c:v", "libx264", "-c:a", "libmp3lame", video=True)
    at = data.find(b"\x44\x89")  # the Segment Info's Duration element
    size = data[at + 2] & 0x7F
    data[at + 3 : at + 3 + size] = struct.pack(">d" if size == 8 else ">f", 1e9)
    return data


def forged_wav(path: Path) -> bytes:
    data = _tone(path, "-c:a", "pcm_s16le")
    data[4:8] = b"\xf0\xff\xff\xff"
    chunk = data.find(b"data")
    data[chunk + 4 : chunk + 8] = b"\xf0\xff\xff\xff"
    return data


FORGERIES = {
    "flac": forged_flac,
    "mp3": forged_mp3,
    "m4a": forged_m4a,
    "wav": forged_wav,
    "mp4": forged_mp4,
    "mkv": forged_mkv,
}


def _declared_seconds(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return float(out) if out not in {"", "N/A"} else 0.0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("forged")
    files = {}
    for extension, forge in FORGERIES.items():
        forged = folder / f"forged_{extension}.{extension}"
        forged.write_bytes(forge(folder / f"honest.{extension}"))
        files[extension] = forged
    return files


def test_the_corpus_lies_to_ffprobe(corpus):
    lying = [ext for ext, path in corpus.items() if _declared_seconds(path) > 1000]
    assert set(lying) >= {"flac", "mp3", "m4a", "mp4", "mkv"}


@pytest.mark.parametrize("extension", FORGERIES)
def test_a_forged_length_is_stored_as_the_decoded_duration(owner, corpus, extension):
    model = custom_model_create(organisation=owner.organisation, name=f"Forged {extension}", language="en")
    response = put(owner, model, type="train", audio_file=corpus[extension])
    assert response.status_code == 201, response.content
    stored = DatasetFile.objects.get(custom_model=model)
    assert stored.duration == pytest.approx(SECONDS, abs=0.2)  # codec padding


def test_forged_hours_do_not_pass_the_ten_minute_minimum(owner, corpus, tmp_path):
    model = custom_model_create(organisation=owner.organisation, name="Forged", language="en")
    transcript = tmp_path / "forged_flac.vtt"
    transcript.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\na tone\n")
    assert (
        put(owner, model, type="train", audio_file=corpus["flac"], transcript_file=transcript).status_code
        == 201
    )
    report = owner.client().post(f"/api/v3/custom_models/{model.pk}/validate").json()
    assert report["total_minutes"] == 0.0
    assert "Need minimum 10 minutes total duration (found 0.0 minutes)" in report["errors"]
