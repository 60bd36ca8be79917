import pytest

from tests import audio


def test_progress_rises_steadily_to_the_end_of_training(tiny_model_dir, tmp_path):
    from training.engine.ctc import finetune as ft

    rows = []
    for n in range(6):
        wav = audio.speech(tmp_path / f"s{n}.wav", f"the patient has atrial fibrillation number {n}")
        rows.append({"wav": str(wav), "text": "THE PATIENT HAS ATRIAL FIBRILLATION", "duration": 2.5})
    seen: list[float] = []

    def on_progress(fraction: float) -> bool:
        seen.append(fraction)
        return True

    result = ft.finetune(
        tiny_model_dir, rows, rows, epochs=3, max_batch_s=6.0, on_progress=on_progress, log=print
    )
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)
    assert result["epochs"] == 3 and result["best_epoch"] in {1, 2, 3}


def test_a_false_progress_callback_stops_training(tiny_model_dir, tmp_path):
    from training.engine.ctc import finetune as ft

    wav = audio.speech(tmp_path / "s.wav", "hello there")
    rows = [{"wav": str(wav), "text": "HELLO THERE", "duration": 1.0}] * 2
    with pytest.raises(ft.StopTraining):
        ft.finetune(tiny_model_dir, rows, rows, epochs=2, on_progress=lambda fraction: False, log=print)
