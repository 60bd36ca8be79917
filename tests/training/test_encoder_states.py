"""A Whisper run keeps its windows' encoder states in a memory-mapped file, not in the trainer's
memory, so the trainer does not grow with the hours of audio."""

import torch

from training.engine.whisper.encoder_states import EncoderStates


def test_states_round_trip_through_a_float16_file_in_the_work_directory(tmp_path):
    states = EncoderStates(tmp_path / "work" / "encoder-states.f16", count=3)
    first, third = torch.randn(1500, 8), torch.randn(1500, 8)
    states[0], states[2] = first, third
    assert 0 in states and 2 in states and 1 not in states
    assert torch.equal(states[2], third.half())
    assert states[0].dtype == torch.float16
    stored = tmp_path / "work" / "encoder-states.f16"
    assert stored.is_file() and stored.stat().st_size >= 3 * 1500 * 8 * 2  # all three windows' room


def test_an_anchor_set_whose_states_cannot_be_written_keeps_nothing_and_fails_nothing(tmp_path):
    import numpy as np

    from training.engine.whisper.encoder_states import KeptAnchor

    folder, weights = tmp_path / "anchor", tmp_path / "pytorch"
    folder.mkdir()
    weights.mkdir()
    (weights / "model.safetensors").write_bytes(b"weights")
    (folder / "everyday_00.wav").write_bytes(b"RIFF")
    rows = [{"wav": str(folder / "everyday_00.wav"), "text": "Good morning."}]
    kept = KeptAnchor(rows, weights, "en")
    # A folder in the way of the states file: the rename fails, as on a read-only base (file
    # permissions would not stop a test run as root).
    (folder / "encoder-states.npy").mkdir()
    kept.keep(np.zeros((1, 4, 2), dtype=np.float16), ["good morning"])
    assert kept.recall() is None
    assert sorted(p.name for p in folder.iterdir()) == ["encoder-states.npy", "everyday_00.wav"]

    (folder / "encoder-states.npy").rmdir()
    kept.keep(np.ones((1, 4, 2), dtype=np.float16), ["good morning"])
    states, transcripts = kept.recall()
    assert states.shape == (1, 4, 2) and transcripts == ["good morning"]
