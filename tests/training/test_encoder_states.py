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
