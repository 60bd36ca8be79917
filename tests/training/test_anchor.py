"""Every base's anchor set: everyday sentences in a voice no model here trains on, and non-speech."""

import json

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


def test_languages_with_sentence_lists_have_an_anchor_set_the_others_none():
    assert anchor.speaks_anchor_language("en") and anchor.speaks_anchor_language("en-GB")
    for code in ("nl", "de", "fr", "es", "it", "pt"):
        assert len(anchor.sentences(code)) == 20 and anchor.sentences(code) != anchor.SENTENCES
    assert not anchor.speaks_anchor_language("ja") and anchor.sentences("ja") == []


def test_a_multilingual_base_holds_one_anchor_set_per_language(tmp_path):
    rows = anchor.anchor_set(tmp_path, "de", log=lambda line: None)

    speech = [row for row in rows if row["text"]]
    assert len(speech) == 20 and speech[0]["text"] == anchor.sentences("de")[0]
    assert 30 < sum(row["duration"] for row in speech) < 120
    assert sorted(p.name for p in tmp_path.glob("*anchor*")) == ["anchor-de"]  # English's `anchor/` is apart
    assert anchor.has_anchor_set(tmp_path, "de") and not anchor.has_anchor_set(tmp_path, "en")
    assert {row["voice"] for row in speech} == {"kokoro:jf_nezumi"}


def test_a_set_built_in_another_voice_is_built_again(tmp_path, monkeypatch):
    monkeypatch.setattr(anchor, "COUNT", 2)  # two sentences are enough to see it rebuilt
    rows = anchor.anchor_set(tmp_path, "es", log=lambda line: None)
    manifest = tmp_path / "anchor-es" / "manifest.json"
    old = [
        {key: value for key, value in row.items() if key != "voice"}
        for row in json.loads(manifest.read_text())
    ]
    manifest.write_text(json.dumps(old))  # as an earlier release wrote it, in espeak-ng f3

    assert not anchor.has_anchor_set(tmp_path, "es")
    again = anchor.anchor_set(tmp_path, "es", log=lambda line: None)
    assert [row["text"] for row in again] == [row["text"] for row in rows]
    assert again[0]["voice"] == "kokoro:jf_nezumi"
