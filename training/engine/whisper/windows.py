"""Windows, targets and decoding for the Whisper fine-tune: clips packed into windows of up to
28 s, Whisper's own target layout, greedy decoding with the key/value cache, and the WER that
picks the best epoch and checks parity (see `training` for the measured recipe)."""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from ..text import language_code

SAMPLE_RATE = 16000
WINDOW_SECONDS = 28.0  # Whisper hears 30 s; the margin keeps a cue's end inside
GAP_SECONDS = 0.3  # silence between two packed clips, like the pause between two cues
MAX_TARGET_TOKENS = 440  # the decoder holds 448 positions, with the prefix and the end token
IGNORE = -100


# -- windows ------------------------------------------------------------------------------------


@dataclass
class Window:
    """Consecutive clips of one recording, heard as one Whisper input (≤ 30 s)."""

    wavs: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    duration: float = 0.0
    source: str | None = None

    @property
    def text(self) -> str:
        return " ".join(" ".join(t.split()) for t in self.texts)

    def audio(self) -> np.ndarray:
        gap = np.zeros(int(GAP_SECONDS * SAMPLE_RATE), dtype=np.float32)
        parts = []
        for path in self.wavs:
            samples, _ = sf.read(path, dtype="float32", always_2d=True)
            parts += [gap, samples.mean(axis=1)] if parts else [samples.mean(axis=1)]
        return np.concatenate(parts)[: 30 * SAMPLE_RATE]


def pack(rows: list[dict], max_seconds: float = WINDOW_SECONDS) -> list[Window]:
    """Clips of the same recording, in the order given, joined into windows of at most
    `max_seconds` (gaps included); a clip longer than that is a window on its own.

    Whisper pads every input to 30 s, so a 4 s clip costs as much as a full window:
    packing cut the cost of an epoch about 5x (shared/notes/whisper-feasibility.md)."""
    windows: list[Window] = []
    for row in rows:
        last = windows[-1] if windows else None
        source = row.get("source")
        if not (
            last and last.source == source and last.duration + GAP_SECONDS + row["duration"] <= max_seconds
        ):
            last = Window(source=source)
            windows.append(last)
        last.duration += row["duration"] + (GAP_SECONDS if last.wavs else 0.0)
        last.wavs.append(row["wav"])
        last.texts.append(row["text"])
    return windows


# -- the model --------------------------------------------------------------------------------


def load_whisper(pytorch_dir: Path, cache_dir: Path, *, freeze_encoder: bool = True, freeze: bool = False):
    from speechbrain.integrations.huggingface.whisper import Whisper

    return Whisper(
        source=str(pytorch_dir), save_path=str(cache_dir), freeze=freeze, freeze_encoder=freeze_encoder
    )


class Tokens:
    """Whisper's own target layout: `<|startoftranscript|>[<|lang|><|transcribe|>]<|notimestamps|>`,
    the text with a leading space, `<|endoftext|>`."""

    def __init__(self, whisper, pytorch_dir: Path, language: str | None = None) -> None:
        tokenizer = whisper.tokenizer
        self.tokenizer = tokenizer
        self.eot = whisper.eos
        self.prefix = [whisper.bos]
        if whisper.is_multilingual:
            self.prefix += [
                tokenizer.convert_tokens_to_ids(f"<|{language_code(language or 'en')}|>"),
                tokenizer.convert_tokens_to_ids("<|transcribe|>"),
            ]
        self.prefix.append(whisper.no_timestamps)
        generation = {}
        if (pytorch_dir / "generation_config.json").is_file():
            generation = json.loads((pytorch_dir / "generation_config.json").read_text())
        vocab = whisper.model.config.vocab_size
        # As faster-whisper decodes: non-speech tokens and every special token but the end.
        self.suppress = sorted(
            {t for t in generation.get("suppress_tokens") or whisper.get_suppress_tokens if 0 <= t < vocab}
            | set(range(self.eot + 1, vocab))
        )
        self.begin_suppress = generation.get("begin_suppress_tokens") or [220, self.eot]

    def target(self, text: str) -> list[int]:
        ids = self.tokenizer.encode(" " + text.strip(), add_special_tokens=False)
        return self.prefix + ids[: MAX_TARGET_TOKENS - len(self.prefix)] + [self.eot]

    def batch(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoder inputs and labels; the labels of the prefix are masked, so the model is not
        taught to predict `<|notimestamps|>` (timestamp decoding kept working that way)."""
        targets = [self.target(t) for t in texts]
        width = max(len(t) for t in targets) - 1
        inputs = torch.full((len(targets), width), self.eot, dtype=torch.long)
        labels = torch.full((len(targets), width), IGNORE, dtype=torch.long)
        for i, ids in enumerate(targets):
            inputs[i, : len(ids) - 1] = torch.tensor(ids[:-1])
            labels[i, : len(ids) - 1] = torch.tensor(ids[1:])
            labels[i, : len(self.prefix) - 1] = IGNORE
        return inputs, labels

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode([t for t in ids if t < self.eot]).strip()


def encode(whisper, audios: list[np.ndarray], device) -> torch.Tensor:
    """Encoder states of a batch. The log-mel is computed clip by clip: SpeechBrain's clamps at
    (max − 8) over the whole batch, Whisper per clip."""
    mels = [whisper._get_mel(torch.from_numpy(a).to(device)[None]) for a in audios]
    return whisper.forward_encoder(torch.cat(mels))


@torch.no_grad()
def greedy(whisper, tokens: Tokens, encoder_states: torch.Tensor, max_new: int = 224) -> list[str]:
    """Greedy decoding with the decoder's key/value cache, suppressing what faster-whisper does.

    On CPU in one thread: a step is a few tiny matrix products, and with a second thread each
    waited for the other to be scheduled (0.35 s a step instead of 0.02 s while another
    process held one of the two cores)."""
    if encoder_states.device.type == "cpu":
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return _greedy(whisper, tokens, encoder_states, max_new)
        finally:
            torch.set_num_threads(threads)
    return _greedy(whisper, tokens, encoder_states, max_new)


def _greedy(whisper, tokens: Tokens, encoder_states: torch.Tensor, max_new: int) -> list[str]:
    batch, device = encoder_states.shape[0], encoder_states.device
    decoder = whisper.model.decoder
    pick = _TokenPicker(decoder.embed_tokens.weight, tokens)
    ids = torch.tensor([tokens.prefix] * batch, device=device)
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    past, out = None, []
    for step in range(min(max_new, MAX_TARGET_TOKENS)):
        output = decoder(
            encoder_hidden_states=encoder_states,
            input_ids=ids if past is None else ids[:, -1:],
            past_key_values=past,
            use_cache=True,
        )
        past = output.past_key_values
        token = pick(output.last_hidden_state[:, -1].float(), first=step == 0).masked_fill(done, tokens.eot)
        out.append(token)
        done |= token == tokens.eot
        ids = torch.cat([ids, token[:, None]], dim=1)
        if bool(done.all()):
            break
    generated = torch.stack(out, dim=1).tolist()
    return [tokens.decode(row) for row in generated]


class _TokenPicker:
    """The next token of greedy decoding: the argmax of the decoder's output over the vocabulary
    (Whisper ties the output layer to the token embeddings), less the suppressed tokens.

    Reading the 51,865 x d float32 embedding matrix was most of a decoding step on this CPU: 16 ms
    of a 28 ms step for three windows (tiny.en), and greedy decoding (validation each epoch, the
    blend shares, the export check) a fifth of a 12-minute run. Where the CPU multiplies bfloat16
    natively (avx512_bf16, AMX) a bfloat16 copy ranks the vocabulary in about 1.4 ms, and the
    SHORTLIST best of that ranking are scored again in float32: the token is the float32 argmax
    unless the true best falls outside the bfloat16 shortlist (bfloat16 moves a logit by a few
    hundredths; the shortlist's last is typically several points behind the best)."""

    SHORTLIST = 16

    def __init__(self, weight: torch.Tensor, tokens: Tokens) -> None:
        self.weight = weight.detach()
        self.tokens = tokens
        self.ranking = self.weight.to(torch.bfloat16) if bfloat16_is_fast(weight.device) else None

    def __call__(self, hidden: torch.Tensor, *, first: bool) -> torch.Tensor:
        if self.ranking is None:
            return self._suppressed(hidden @ self.weight.T.float(), first).argmax(-1)
        approx = self._suppressed((hidden.to(torch.bfloat16) @ self.ranking.T).float(), first)
        shortlist = approx.topk(self.SHORTLIST, dim=-1).indices
        exact = torch.einsum("bd,bkd->bk", hidden, self.weight[shortlist].float())
        exact[approx.gather(1, shortlist) == -math.inf] = -math.inf
        return shortlist.gather(1, exact.argmax(-1, keepdim=True))[:, 0]

    def _suppressed(self, logits: torch.Tensor, first: bool) -> torch.Tensor:
        logits[:, self.tokens.suppress] = -math.inf
        if first:
            logits[:, self.tokens.begin_suppress] = -math.inf
        return logits


@functools.cache
def _cpu_multiplies_bfloat16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def bfloat16_is_fast(device: torch.device) -> bool:
    """Whether work on `device` is worth doing in bfloat16 to save time: on a CPU that multiplies
    it natively. On a GPU float32 is fast already (and untested here in bfloat16); on a CPU without
    bfloat16 arithmetic the values would be converted back at every product, slower than float32."""
    return device.type == "cpu" and _cpu_multiplies_bfloat16()


def _max_new_tokens(windows: list[Window]) -> int:
    # Dictation runs at 3-4 tokens a second; the cap cuts a repetition loop short (costly on CPU).
    return int(max(w.duration for w in windows) * 6) + 16


def word_error_rate(references: list[str], hypotheses: list[str], language: str | None = "en") -> float:
    """WER in percent after Whisper's normaliser for the language (training.engine.text)."""
    import jiwer

    from ..text import normalise

    pairs = [
        (normalise(r, language), normalise(h, language)) for r, h in zip(references, hypotheses, strict=True)
    ]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        return 0.0
    return 100 * jiwer.wer([r for r, _ in pairs], [h for _, h in pairs])


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}
