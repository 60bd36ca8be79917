import csv
import gzip
import json

import numpy as np
import soundfile as sf

from training.engine.ctc.rehearsal import rehearsal_rows, rehearsal_source


def upper(text: str) -> str:
    return " ".join(text.upper().split())


def recorded_base(tmp_path, clips: int = 6, seconds: float = 2.0):
    base = tmp_path / "base"
    folder = base / "rehearsal"
    folder.mkdir(parents=True)
    rows = []
    for n in range(clips):
        sf.write(str(folder / f"c{n}.wav"), np.zeros(int(16000 * seconds), dtype="int16"), 16000)
        rows.append({"wav": f"c{n}.wav", "text": f"general sentence number {n}"})
    outside = tmp_path / "secret.wav"
    sf.write(str(outside), np.zeros(16000 * 2, dtype="int16"), 16000)
    rows.append({"wav": "../../secret.wav", "text": "not part of the base"})
    with open(folder / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["wav", "text"])
        writer.writeheader()
        writer.writerows(rows)
    return base


def test_a_base_without_general_speech_rehearses_nothing(tmp_path):
    (tmp_path / "model.json").write_text(json.dumps({"name": "bare"}))
    assert rehearsal_source(tmp_path) is None
    assert rehearsal_rows(tmp_path, tmp_path / "work", 60, normalise=upper) == []


def test_recorded_speech_is_taken_up_to_the_asked_duration_and_only_from_its_folder(tmp_path):
    base = recorded_base(tmp_path)
    assert rehearsal_source(base) == "recorded"
    rows = rehearsal_rows(base, tmp_path / "work", 5.0, normalise=upper)
    assert 5.0 <= sum(r["duration"] for r in rows) <= 7.0
    assert all(r["text"].startswith("GENERAL SENTENCE") for r in rows)
    everything = rehearsal_rows(base, tmp_path / "work", 3600, normalise=upper)
    assert len(everything) == 6  # the manifest's path out of its folder is ignored
    assert all("secret" not in r["wav"] for r in everything)


def test_a_synthetic_base_has_its_training_text_spoken_again(tmp_path):
    base = tmp_path / "starter"
    base.mkdir()
    (base / "model.json").write_text(json.dumps({"rehearsal": {"synthesize": "espeak-ng"}}))
    with gzip.open(base / "lm_corpus.txt.gz", "wt") as handle:
        handle.write("the weather was cold in the morning\nshe reads a book every evening\n" * 5)
    assert rehearsal_source(base) == "synthesized"
    rows = rehearsal_rows(base, tmp_path / "work", 4.0, normalise=upper)
    assert sum(r["duration"] for r in rows) >= 4.0
    spoken = {"THE WEATHER WAS COLD IN THE MORNING", "SHE READS A BOOK EVERY EVENING"}
    assert {r["text"] for r in rows} <= spoken
    for row in rows:
        info = sf.info(row["wav"])
        assert info.samplerate == 16000 and info.channels == 1
        assert abs(info.duration - row["duration"]) < 0.05
    assert rehearsal_rows(base, tmp_path / "work", 0, normalise=upper) == []
