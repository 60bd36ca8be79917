"""Greedy decoding (validation each epoch, the blend shares, the export check) ranks the vocabulary
in bfloat16 where the CPU multiplies it natively and scores a shortlist again in float32: the
transcripts must be the float32 argmax's, word for word."""

import soundfile as sf
import torch

from tests import audio
from training.engine.whisper import windows

SENTENCES = [
    "The patient was admitted with atrial fibrillation and a rapid ventricular response.",
    "Apixaban five milligrams twice daily was started after the echocardiogram.",
    "Counsel for the defendant asked the court to adjourn the hearing until Thursday.",
    "We met at the station at half past nine and took the train to the coast.",
]


def test_the_bfloat16_shortlist_writes_what_float32_writes(whisper_base_dir, tmp_path, monkeypatch):
    pytorch_dir = whisper_base_dir / "pytorch"
    whisper = windows.load_whisper(pytorch_dir, tmp_path / "hf-cache")
    whisper.eval()
    tokens = windows.Tokens(whisper, pytorch_dir, "en")
    clips = []
    for n, sentence in enumerate(SENTENCES):
        path = audio.speech(tmp_path / f"clip-{n}.wav", sentence, voice=["en-us", "en-gb"][n % 2])
        clips.append(sf.read(path, dtype="float32")[0])
    with torch.no_grad():
        states = windows.encode(whisper, clips, "cpu")

    monkeypatch.setattr(windows, "_cpu_multiplies_bfloat16", lambda: True)
    shortlisted = windows.greedy(whisper, tokens, states, 120)
    monkeypatch.setattr(windows, "_cpu_multiplies_bfloat16", lambda: False)
    float32 = windows.greedy(whisper, tokens, states, 120)

    assert shortlisted == float32
    assert "fibrillation" in float32[0].lower()  # real decoding, not an empty or cut transcript
