"""Model loading (LRU-cached per process) and transcription.  Needs torch and
speechbrain, so it is imported lazily by :mod:`training.engine`."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import torch

from .. import audio as audio_mod
from ..cache import ModelCache
from ..errors import ModelLoadError
from .decoding import BeamDecoder, WordSpan, greedy_decode

SAMPLE_RATE = audio_mod.SAMPLE_RATE
CACHE_SIZE = 4


class LoadedModel:
    """A SpeechBrain ``EncoderASR`` plus its label set and (optional) beam decoder."""

    def __init__(self, model_dir: Path, asr, device: str, meta: dict):
        self.model_dir = model_dir
        self.asr = asr
        self.device = device
        self.meta = meta
        tok = asr.tokenizer
        if hasattr(tok, "ind2lab"):  # speechbrain CTCTextEncoder
            self.labels = [tok.ind2lab[i] for i in range(len(tok.ind2lab))]
            self.blank = tok.get_blank_index() if hasattr(tok, "blank_label") else 0
        elif hasattr(tok, "id_to_piece"):  # sentencepiece
            self.labels = [tok.id_to_piece(i) for i in range(tok.vocab_size())]
            self.blank = int(meta.get("blank_index", 0))
        else:
            raise ModelLoadError(f"unsupported tokenizer type {type(tok).__name__!r}")
        self.labels = [" " if lab == "|" else lab for lab in self.labels]
        self._beam: BeamDecoder | None = None
        self._beam_error: str | None = None
        self._beam_lock = threading.Lock()

    @property
    def has_lm(self) -> bool:
        d = self.model_dir
        return (
            ((d / "lexicon.txt").exists() or (d / "lexicon.txt.gz").exists())
            and (d / "tokens.txt").exists()
            and ((d / "lm.arpa.gz").exists() or (d / "lm.arpa").exists())
        )

    def beam_decoder(self) -> BeamDecoder | None:
        with self._beam_lock:
            if self._beam is None and self._beam_error is None and self.has_lm:
                try:
                    self._beam = BeamDecoder(self.model_dir, **self.meta.get("decoder", {}))
                except Exception as exc:  # flashlight-text missing, bad files, ...
                    self._beam_error = f"{type(exc).__name__}: {exc}"
            return self._beam

    @torch.no_grad()
    def log_probs(self, samples) -> torch.Tensor:
        wav = torch.as_tensor(samples, dtype=torch.float32)[None]
        out = self.asr.encode_batch(wav, torch.tensor([1.0]))
        return out[0].float().cpu()


_cache: ModelCache = ModelCache(CACHE_SIZE)


def _cache_key(model_dir: Path) -> str:
    hp = model_dir / "hyperparams.yaml"
    mtime = hp.stat().st_mtime_ns if hp.exists() else 0
    return f"{model_dir}:{mtime}"


def _device() -> str:
    return "cuda:0" if torch.cuda.is_available() else "cpu"


def _load_uncached(model_dir: Path) -> LoadedModel:
    from speechbrain.inference.ASR import EncoderASR
    from speechbrain.utils.fetching import LocalStrategy

    if not model_dir.is_dir():
        raise ModelLoadError(f"{model_dir} is not a directory")
    if not (model_dir / "hyperparams.yaml").is_file():
        raise ModelLoadError(f"{model_dir} has no hyperparams.yaml")
    meta = {}
    if (model_dir / "model.json").is_file():
        try:
            meta = json.loads((model_dir / "model.json").read_text())
        except ValueError as exc:
            raise ModelLoadError(f"model.json is not valid JSON: {exc}") from exc
    device = _device()
    try:
        asr = EncoderASR.from_hparams(
            source=str(model_dir),
            savedir=str(model_dir),
            local_strategy=LocalStrategy.NO_LINK,
            run_opts={"device": device},
        )
    except Exception as exc:
        raise ModelLoadError(f"cannot load {model_dir}: {type(exc).__name__}: {exc}") from exc
    asr.eval()
    return LoadedModel(model_dir, asr, device, meta)


def load_model(model_dir) -> LoadedModel:
    model_dir = Path(model_dir).resolve()
    key = _cache_key(model_dir)
    return _cache.get(key, lambda: _load_uncached(model_dir))


def cache_info() -> dict:
    return _cache.info()


def clear_cache() -> None:
    _cache.clear()


def validate_model_dir(path) -> None:
    """Raise ModelLoadError unless ``path`` loads and produces CTC outputs."""
    model = _load_uncached(Path(path).resolve())
    try:
        lp = model.log_probs(torch.zeros(SAMPLE_RATE))
    except Exception as exc:
        raise ModelLoadError(f"model in {path} failed on a test input: {exc}") from exc
    if lp.dim() != 2 or lp.shape[-1] != len(model.labels):
        raise ModelLoadError(f"model output size {tuple(lp.shape)} does not match {len(model.labels)} labels")


def _decode_chunk(model: LoadedModel, samples, use_beam: bool) -> tuple[list[WordSpan], float]:
    lp = model.log_probs(samples)
    frame_s = len(samples) / SAMPLE_RATE / max(1, lp.shape[0])
    if use_beam:
        dec = model.beam_decoder()
        if dec is not None:
            return dec.decode(lp), frame_s
    return greedy_decode(lp, model.labels, model.blank), frame_s


def transcribe(model_dir, media_path, *, decoder: str = "auto", max_chunk_s: float = 30.0) -> dict:
    """Transcribe any ffmpeg-readable file.

    Returns ``{"text", "words": [{"word", "start", "end"}], "duration", "decoder"}``;
    times in seconds from the start of the file."""
    if decoder not in ("auto", "greedy", "beam"):
        raise ValueError("decoder must be 'auto', 'greedy' or 'beam'")
    model = load_model(model_dir)
    use_beam = decoder != "greedy"
    if decoder == "beam" and model.beam_decoder() is None:
        raise RuntimeError(
            "beam decoding unavailable for this model: " + (model._beam_error or "no lexicon/LM files")
        )
    used = "beam" if use_beam and model.beam_decoder() is not None else "greedy"
    words, duration, n_chunks = [], 0.0, 0
    t0 = time.time()
    for chunk in audio_mod.iter_chunks(media_path, max_chunk_s=max_chunk_s, min_chunk_s=max_chunk_s / 2):
        n_chunks += 1
        duration = chunk.offset + chunk.duration
        if chunk.duration < 0.1:
            continue
        spans, frame_s = _decode_chunk(model, chunk.samples, used == "beam")
        for s in spans:
            start = chunk.offset + s.start_frame * frame_s
            end = min(chunk.offset + s.end_frame * frame_s, chunk.offset + chunk.duration)
            words.append({"word": s.word.lower(), "start": round(start, 3), "end": round(max(end, start), 3)})
    return {
        "text": " ".join(w["word"] for w in words),
        "words": words,
        "duration": round(duration, 3),
        "decoder": used,
        "chunks": n_chunks,
        "processing_s": round(time.time() - t0, 3),
    }


def align(model_dir, media_path, text: str, max_duration_s: float = 900.0) -> dict:
    """CTC forced alignment of a known transcript (torchaudio forced_align).

    Characters not in the model alphabet are dropped; words keep their position.
    Limited to ``max_duration_s`` (the trellis is frames x characters)."""
    import torchaudio.functional as F

    model = load_model(model_dir)
    lab2id = {lab: i for i, lab in enumerate(model.labels)}
    space = lab2id.get(" ")
    words = [w for w in text.split() if w]
    letters = [lab for lab in model.labels if len(lab) == 1 and lab.isalpha()]
    upper = bool(letters) and all(lab.isupper() for lab in letters)
    targets, word_of = [], []
    for wi, w in enumerate(words):
        w2 = w.upper() if upper else w
        ids = [lab2id[c] for c in w2 if c in lab2id and c != " "]
        if not ids:
            continue
        if targets and space is not None:
            targets.append(space)
            word_of.append(-1)
        targets += ids
        word_of += [wi] * len(ids)
    lps, duration = [], 0.0
    for chunk in audio_mod.iter_chunks(media_path):
        duration = chunk.offset + chunk.duration
        if duration > max_duration_s:
            raise ValueError(f"align() supports at most {max_duration_s:.0f} s of audio")
        lps.append(model.log_probs(chunk.samples))
    if not targets or not lps:
        return {"words": [], "duration": round(duration, 3)}
    lp = torch.cat(lps)
    frame_s = duration / lp.shape[0]
    ali, _ = F.forced_align(lp[None], torch.tensor([targets], dtype=torch.int32), blank=model.blank)
    ali = ali[0].tolist()
    # walk the path: token k is emitted at the first frame where ali==targets[k] after a change
    k, prev, first, last = -1, model.blank, {}, {}
    for t, tok in enumerate(ali):
        if tok != model.blank and (tok != prev or prev == model.blank):
            k += 1
        if tok != model.blank and k < len(targets):
            first.setdefault(k, t)
            last[k] = t
        prev = tok
    out = []
    for wi, w in enumerate(words):
        ks = [i for i, x in enumerate(word_of) if x == wi]
        if not ks or ks[0] not in first:
            continue
        out.append(
            {
                "word": w,
                "start": round(first[ks[0]] * frame_s, 3),
                "end": round((last[ks[-1]] + 1) * frame_s, 3),
            }
        )
    return {"words": out, "duration": round(duration, 3)}
