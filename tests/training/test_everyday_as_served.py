"""The end of a Whisper fine-tune hears everyday speech as the model will serve it, and steps down
to a smaller share of the trained change when the served copy would fail the regression gate
(the PyTorch figures that chose the share said it would not), or up to a larger one that
validates better when the served copy holds where the PyTorch figures said it would not."""

from pathlib import Path

from training.engine.whisper import training as whisper_training

MEASURED = [
    {"share": 0.0, "valid_wer": 20.0, "anchor_wer": 5.0},
    {"share": 0.5, "valid_wer": 9.0, "anchor_wer": 5.0},
    {"share": 0.7, "valid_wer": 6.0, "anchor_wer": 5.5},
    {"share": 0.8, "valid_wer": 5.0, "anchor_wer": 5.8},
    {"share": 1.0, "valid_wer": 4.0, "anchor_wer": 6.0},
]
ROWS = [{"wav": f"clip{n}.wav", "text": "the cat sat on the mat today", "duration": 2.0} for n in range(4)]


class Blender:
    def __init__(self, shares=(1.0, 0.8, 0.7, 0.5)) -> None:
        self.share, self.whisper, self.shares, self.measured = 1.0, object(), shares, []

    def to(self, share: float) -> None:
        self.share = share

    def measure(self, share: float) -> dict:
        self.measured.append(share)
        return {"share": share, "valid_wer": 7.5, "anchor_wer": 5.1}


def run(
    monkeypatch,
    served_wrong_words: dict[float, int],
    *,
    max_regression=2.0,
    measured=MEASURED,
    blender=None,
    chosen=1.0,
):
    """Served WER by share: `served_wrong_words[share]` words of the 28 wrong; the base gets all right."""
    from training.engine.whisper import recognition, serving

    blender, exported, lines = blender or Blender(), [], []
    blender.share = chosen

    def recognise(model_dir, wavs, language=None):
        wrong = 0 if Path(model_dir).name == "base" else served_wrong_words[blender.share]
        texts = ["the cat sat on the mat today"] * len(wavs)
        for n in range(wrong):
            texts[n % len(texts)] = texts[n % len(texts)].replace("cat", "hat", 1) + " x"
        return texts

    monkeypatch.setattr(recognition, "recognise", recognise)
    monkeypatch.setattr(serving, "clear_cache", lambda: None)
    monkeypatch.setattr(whisper_training, "export", lambda base, whisper, out: exported.append(blender.share))
    summary = {
        "interpolation": chosen,
        "valid_wer": next(m["valid_wer"] for m in measured if m["share"] == chosen),
        "interpolation_reason": "best",
        "interpolation_measured": measured,
    }
    served = whisper_training._everyday_as_served(
        Path("base"), Path("custom"), blender, summary, ROWS, max_regression, "en", lines.append
    )
    return summary, served, exported, lines


def test_a_share_that_fails_as_served_steps_down_to_the_first_that_holds(monkeypatch):
    summary, served, exported, lines = run(monkeypatch, {1.0: 2, 0.8: 1, 0.7: 0, 0.5: 0})
    # 2 wrong of 28 words is 7.1 points (fails +2), 1 of 28 is 3.6 (fails), 0 holds.
    assert [t["share"] for t in served["tried"]] == [1.0, 0.8, 0.7]
    assert exported == [0.8, 0.7]
    assert (summary["interpolation"], summary["valid_wer"]) == (0.7, 6.0)
    assert "largest share whose served copy keeps everyday speech" in summary["interpolation_reason"]
    assert lines[-1].startswith("shipping 70% of the change")


def test_a_share_that_holds_as_served_ships_unchanged(monkeypatch):
    summary, served, exported, _ = run(monkeypatch, {1.0: 0, 0.8: 0, 0.7: 0, 0.5: 0})
    assert served["tried"] == [{"share": 1.0, "everyday_wer": 0.0}] and exported == []
    assert summary["interpolation"] == 1.0


def test_at_most_three_smaller_shares_are_tried_then_the_gate_decides(monkeypatch):
    summary, served, exported, _ = run(monkeypatch, {1.0: 3, 0.8: 3, 0.7: 3, 0.5: 3})
    assert [t["share"] for t in served["tried"]] == [1.0, 0.8, 0.7, 0.5]
    assert summary["interpolation"] == 0.5 and "no smaller share kept" in summary["interpolation_reason"]


def test_a_share_below_where_the_search_stopped_is_measured_when_served_speech_needs_it(monkeypatch):
    """The share search stopped at 0.9 (0.8 could not win on validation); served, 1.0 and 0.9 fail."""
    blender = Blender(shares=(1.0, 0.9, 0.8, 0.7))
    searched = [MEASURED[0], {"share": 0.9, "valid_wer": 4.5, "anchor_wer": 5.5}, MEASURED[-1]]
    summary, served, exported, _ = run(
        monkeypatch, {1.0: 2, 0.9: 2, 0.8: 0}, measured=searched, blender=blender
    )
    assert [t["share"] for t in served["tried"]] == [1.0, 0.9, 0.8] and blender.measured == [0.8]
    assert (summary["interpolation"], summary["valid_wer"]) == (0.8, 7.5)
    assert [m["share"] for m in summary["interpolation_measured"]] == [0.0, 0.8, 0.9, 1.0]


def test_a_share_that_holds_as_served_steps_up_to_the_best_validating_larger_share_that_holds(monkeypatch):
    """The PyTorch figures chose 0.7; as served, 0.7 and 0.8 hold and 1.0 does not."""
    summary, served, exported, lines = run(monkeypatch, {1.0: 2, 0.8: 0, 0.7: 0, 0.5: 0}, chosen=0.7)
    assert [t["share"] for t in served["tried"]] == [0.7, 1.0, 0.8]  # best validation first
    assert exported == [1.0, 0.8]
    assert (summary["interpolation"], summary["valid_wer"]) == (0.8, 5.0)
    assert "the PyTorch figures had turned it down" in summary["interpolation_reason"]
    assert lines[-1].startswith("shipping 80% of the change")


def test_when_no_larger_share_holds_as_served_the_chosen_one_is_exported_again(monkeypatch):
    summary, served, exported, _ = run(monkeypatch, {1.0: 2, 0.8: 1, 0.7: 0, 0.5: 0}, chosen=0.7)
    assert [t["share"] for t in served["tried"]] == [0.7, 1.0, 0.8]
    assert exported == [1.0, 0.8, 0.7]  # the served copy is the chosen share again
    assert summary["interpolation"] == 0.7 and summary["interpolation_reason"] == "best"
