"""Export of a fine-tuned Whisper (Hugging Face copy and float32 CTranslate2 copy) and the export
check: is the exported copy the trained model, and what does int8 cost?

Two questions, answered apart:

- Is the export correct? Both copies read the trained copy's greedy transcript of each test
  window, teacher-forced on the same log-mel features, and give each of its tokens a probability;
  a correct export gives nearly the same ones, a broken one far from them (PROBABILITY_TOLERANCE).
  Only this can fail a run. The two copies' own greedy transcripts (float32, the same length cap)
  are scored too, for the record: on an over-trained model one near tie ("evidence of" against
  "evidence on") sends the rest of a window another way (73.3 % against 86.7 % WER on 15
  words), so free decoding cannot tell a broken export from a correct one.
- What does int8 cost? The exported copy decodes the test split as it serves (beam 5) in float32
  and in int8. int8 (about 3x faster on a CPU) serves when it scores within the tolerance of
  float32; otherwise float32 does. The choice and both figures go to model.json ("serving").

The failing case this replaced (issue 21): "trained model 7.5 % WER (PyTorch, greedy), exported
model 10.2 % (CTranslate2 int8, beam 5)" failed a good run, mixing an unfair comparison (greedy
against beam search) with the cost of quantisation.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import soundfile as sf
import torch

from . import CTRANSLATE2_DIR, PYTORCH_DIR
from .brain import BATCH_WINDOWS
from .windows import SAMPLE_RATE, Tokens, _max_new_tokens, encode, greedy, pack, word_error_rate

# Mean absolute difference of token probabilities, teacher-forced on the same features, that a
# correct export stays under. Measured here (tiny.en, CPU): 0.000-0.002 on fine-tuned models
# (max 0.024 on one token); 0.045 on a deliberately over-trained run (tests/training/
# test_regression_gate.py: 10 epochs at 6e-4 on a minute, logits so sharp that the two
# libraries' arithmetic shows, up to 0.31 on single tokens); 0.21 for an export whose token
# embeddings were garbled. The limit sits between the over-trained run and the broken export.
PROBABILITY_TOLERANCE = 0.1
# The serving precision: int8 serves when it loses at most this many WER points to float32 ...
QUANTISATION_TOLERANCE = 1.0
# ...but never less than this many words: on a test split of 15 words one point is a fifteenth of
# a word, and two decoders can part on a near tie where nothing is broken.
PARITY_MIN_WORDS = 2
# Weights on disk as trained (CTranslate2 quantises to int8 when loading, if that serves). With
# float16 weights an over-trained run's test window parted from the trained copy on a near tie
# ("evidence of" against "evidence on") and ran on differently: 73.3 % against 86.7 % WER, same
# greedy decoding. With float32 weights the two copies wrote the same text.
EXPORT_PRECISION = "float32"


def export(base_dir: Path, whisper, out_dir: Path) -> None:
    """The trained weights as the Hugging Face copy (`pytorch/`, the base's tokenizer, configs and
    preprocessor files) and its CTranslate2 export (`ctranslate2/`, float32 weights that compute in
    int8 or float32, as the export check chooses)."""
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
    huggingface_to_ctranslate2(pytorch_dir, out_dir / CTRANSLATE2_DIR, quantization=EXPORT_PRECISION)


def parity(
    whisper, tokens: Tokens, out_dir: Path, test_rows: list[dict], work_dir: Path, language: str
) -> dict:
    """The export check on the test split, packed like training (see the module docstring)."""
    from . import recognition, serving

    windows = pack(test_rows)
    folder = work_dir / "parity"
    folder.mkdir(parents=True, exist_ok=True)
    paths, hypotheses, differences = [], [], []
    device = next(whisper.parameters()).device
    # One length cap for both copies: an over-trained model that loops is cut at the same token.
    cap = _max_new_tokens(windows)
    for start in range(0, len(windows), BATCH_WINDOWS * 2):
        chunk = windows[start : start + BATCH_WINDOWS * 2]
        audios = [w.audio() for w in chunk]
        for n, samples in enumerate(audios, start=start):
            paths.append(str(folder / f"window-{n}.wav"))
            sf.write(paths[-1], samples, SAMPLE_RATE, subtype="PCM_16")
        with torch.no_grad():
            states = encode(whisper, audios, device)
            texts = greedy(whisper, tokens, states, cap)
            for n, text in enumerate(texts):
                # The text's tokens without the end token, which CTranslate2's align leaves out.
                text_ids = tokens.target(text)[len(tokens.prefix) : -1]
                trained = teacher_forced(whisper, states[n : n + 1], tokens.prefix, text_ids, tokens.eot)
                # The same log-mel features for both copies: the check is about the weights.
                features = whisper._get_mel(torch.from_numpy(audios[n]).to(device)[None])[0].cpu().numpy()
                served = serving.token_probabilities(out_dir, features, tokens.prefix, text_ids)
                differences += [abs(a - b) for a, b in zip(trained, served, strict=False)]
        hypotheses += texts
    references = [w.text for w in windows]
    words = sum(len(w.text.split()) for w in windows)

    def wer(texts: list[str]) -> float:
        return round(word_error_rate(references, texts, language), 2)

    exported = recognition.recognise(
        out_dir, paths, language=language, compute_type="float32", beam_size=1, max_new_tokens=cap
    )
    float32 = recognition.recognise(out_dir, paths, language=language, compute_type="float32")
    int8 = recognition.recognise(out_dir, paths, language=language, compute_type="int8")
    serving.clear_cache()  # the check's two precisions are not what serves
    check = {
        "token_probability_difference": round(sum(differences) / max(1, len(differences)), 4),
        "tokens": len(differences),
        "tolerance": PROBABILITY_TOLERANCE,
        "pytorch_wer": wer(hypotheses),
        "exported_wer": wer(exported),
        "decoding": "teacher-forced on the trained copy's transcript; WERs greedy, float32, both copies",
        "windows": len(windows),
        "words": words,
    }
    serving_check = {
        "float32_wer": wer(float32),
        "int8_wer": wer(int8),
        "decoding": "beam 5, as served",
        "tolerance_wer_points": round(max(QUANTISATION_TOLERANCE, 100 * PARITY_MIN_WORDS / max(1, words)), 2),
    }
    holds = serving_check["int8_wer"] <= serving_check["float32_wer"] + serving_check["tolerance_wer_points"]
    serving_check["compute_type"] = "int8" if holds else "float32"
    return {"parity": check, "serving": serving_check}


def teacher_forced(whisper, states, prefix: list[int], text_ids: list[int], text_tokens: int) -> list[float]:
    """The trained copy's probability of each of `text_ids` after `prefix` and the ones before it,
    among the first `text_tokens` of the vocabulary (the text tokens, as CTranslate2's align
    computes them)."""
    if not text_ids:
        return []
    ids = prefix + text_ids
    logits, _, _ = whisper.forward_decoder(
        states, torch.tensor([ids[:-1]], device=states.device), use_cache=False
    )
    probabilities = torch.softmax(logits[0, len(prefix) - 1 :, :text_tokens].float(), dim=-1)
    return [float(probabilities[i, token]) for i, token in enumerate(text_ids)]


def export_is_correct(check: dict) -> bool:
    return check["token_probability_difference"] <= check["tolerance"]
