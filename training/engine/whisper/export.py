"""Export of a fine-tuned Whisper (Hugging Face copy and int8 CTranslate2 copy) and the parity
check between the trained PyTorch copy and the exported copy as it serves."""

from __future__ import annotations

import shutil
from pathlib import Path

import soundfile as sf
import torch

from . import CTRANSLATE2_DIR, PYTORCH_DIR
from .brain import BATCH_WINDOWS
from .windows import SAMPLE_RATE, Tokens, _max_new_tokens, encode, greedy, pack, word_error_rate

PARITY_TOLERANCE = 1.0  # WER points the served copy may lose to the trained one
# ...but never less than this many words: on a test split of 15 words one point is a fifteenth of a
# word, and two decoders (greedy PyTorch, beam CTranslate2) of a half-trained model differ by a word
# or two where nothing is broken. A broken export differs by far more.
PARITY_MIN_WORDS = 2


def export(base_dir: Path, whisper, out_dir: Path) -> None:
    """The trained weights as the Hugging Face copy (`pytorch/`, the base's tokenizer, configs and
    preprocessor files) and its int8 CTranslate2 export (`ctranslate2/`)."""
    from transformers import WhisperForConditionalGeneration

    from .convert import huggingface_to_ctranslate2

    base_pytorch, pytorch_dir = base_dir / PYTORCH_DIR, out_dir / PYTORCH_DIR
    model = WhisperForConditionalGeneration.from_pretrained(str(base_pytorch), dtype=torch.float32)
    model.model.load_state_dict({k: v.cpu() for k, v in whisper.model.state_dict().items()})
    if pytorch_dir.exists():
        shutil.rmtree(pytorch_dir)
    model.save_pretrained(str(pytorch_dir))
    for item in base_pytorch.iterdir():
        if item.is_file() and not item.name.endswith((".safetensors", ".bin", ".index.json")):
            shutil.copy2(item, pytorch_dir / item.name)
    huggingface_to_ctranslate2(pytorch_dir, out_dir / CTRANSLATE2_DIR, quantization="int8")


def parity(whisper, tokens: Tokens, out_dir: Path, test_rows: list[dict], work_dir: Path) -> dict:
    """WER of the trained PyTorch copy (greedy) and of the exported copy as it serves
    (CTranslate2 int8, beam 5) on the test split, both on the same packed windows."""
    from . import serving

    windows = pack(test_rows)
    folder = work_dir / "parity"
    folder.mkdir(parents=True, exist_ok=True)
    paths, hypotheses = [], []
    device = next(whisper.parameters()).device
    for start in range(0, len(windows), BATCH_WINDOWS * 2):
        chunk = windows[start : start + BATCH_WINDOWS * 2]
        audios = [w.audio() for w in chunk]
        for n, samples in enumerate(audios, start=start):
            paths.append(str(folder / f"window-{n}.wav"))
            sf.write(paths[-1], samples, SAMPLE_RATE, subtype="PCM_16")
        with torch.no_grad():
            states = encode(whisper, audios, device)
        hypotheses += greedy(whisper, tokens, states, _max_new_tokens(chunk))
    references = [w.text for w in windows]
    served = serving.recognise(out_dir, paths)
    words = sum(len(w.text.split()) for w in windows)
    return {
        "pytorch_wer": round(word_error_rate(references, hypotheses), 2),
        "exported_wer": round(word_error_rate(references, served), 2),
        "windows": len(windows),
        "words": words,
        "tolerance_wer_points": round(max(PARITY_TOLERANCE, 100 * PARITY_MIN_WORDS / max(1, words)), 2),
    }
