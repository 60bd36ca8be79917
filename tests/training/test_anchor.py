"""Every base's anchor set: everyday sentences in a voice no model here trains on, and non-speech."""

import soundfile as sf

from training import anchor


def test_the_anchor_set_is_built_once_with_speech_and_silence(tmp_path):
    lines = []
    rows = anchor.anchor_set(tmp_path, log=lines.append)

    speech = [row for row in rows if row["text"]]
    silent = [row for row in rows if not row["text"]]
    assert len(speech) == 20 and len(silent) == 2
    assert speech[0]["text"] == "The weather is nice today."
    assert 30 < sum(row["duration"] for row in speech) < 90  # about a minute of speech
    info = sf.info(speech[0]["wav"])
    assert (info.samplerate, info.channels) == (16000, 1)
    assert [p.name for p in tmp_path.glob("*anchor*")] == ["anchor"]  # nothing half-built left
    assert lines and lines[0].startswith("anchor set built: 20 everyday sentences")

    built = (tmp_path / "anchor" / "manifest.json").stat().st_mtime_ns
    assert anchor.anchor_set(tmp_path, log=lines.append) == rows
    assert (tmp_path / "anchor" / "manifest.json").stat().st_mtime_ns == built  # not built again


def test_only_english_bases_get_the_english_anchor_set():
    assert anchor.speaks_anchor_language("en") and anchor.speaks_anchor_language("en-GB")
    assert not anchor.speaks_anchor_language("nl")
