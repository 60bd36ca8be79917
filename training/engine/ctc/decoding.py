"""CTC decoding: greedy with frame alignment, and a lexicon + word n-gram beam
search (flashlight-text through ``torchaudio.models.decoder.ctc_decoder``) with
a Python ARPA language model.  Imported on demand only (needs torch)."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from .lm import BOS, EOS, ArpaLM

LN10 = math.log(10.0)


@dataclass
class WordSpan:
    word: str
    start_frame: int
    end_frame: int  # exclusive


def _spans_from_tokens(labels: list[str], frames: list[int]) -> list[WordSpan]:
    """Group (label, frame) pairs of emitted tokens into words split at spaces."""
    spans, cur, start, last = [], [], None, None
    for lab, fr in zip(labels, frames, strict=False):
        if lab in (" ", "|", "\u2581"):
            if cur:
                spans.append(WordSpan("".join(cur), start, last + 1))
            cur, start = [], None
            continue
        if lab.startswith(("\u2581", " ")):  # sentencepiece word-initial piece
            if cur:
                spans.append(WordSpan("".join(cur), start, last + 1))
            cur, start = [], None
            lab = lab.lstrip("\u2581 ")
            if not lab:
                continue
        if start is None:
            start = fr
        cur.append(lab)
        last = fr
    if cur:
        spans.append(WordSpan("".join(cur), start, last + 1))
    return spans


def greedy_decode(logp: torch.Tensor, labels: list[str], blank: int) -> list[WordSpan]:
    """logp: (T, V). Best path, collapsed; each word spans from the first frame of
    its first character to the last frame of its last character."""
    ids = logp.argmax(-1).tolist()
    out_labels, out_frames, prev = [], [], blank
    last_frame_of = []
    for t, i in enumerate(ids):
        if i != blank and i != prev:
            out_labels.append(labels[i])
            out_frames.append(t)
            last_frame_of.append(t)
        elif i != blank and i == prev and last_frame_of:
            last_frame_of[-1] = t
        prev = i
    spans = _spans_from_tokens(out_labels, out_frames)
    # extend word ends to the last frame the final character was emitted on
    ends = {}
    for lab_i, fr in enumerate(out_frames):
        ends[fr] = last_frame_of[lab_i]
    for s in spans:
        s.end_frame = max(s.end_frame, ends.get(s.end_frame - 1, s.end_frame - 1) + 1)
    return spans


class NgramLMAdapter:
    """Wraps ArpaLM as a flashlight/torchaudio ``CTCDecoderLM`` (natural-log scores)."""

    def __new__(cls, *args, **kwargs):
        from torchaudio.models.decoder import CTCDecoderLM, CTCDecoderLMState

        class _Impl(CTCDecoderLM):
            def __init__(self, arpa: ArpaLM, words: list[str]):
                CTCDecoderLM.__init__(self)
                self.arpa, self.words = arpa, words
                self.n = max(1, arpa.order - 1)
                self.ctx: dict = {}
                self.cache: dict = {}

            def start(self, start_with_nothing: bool = False):
                state = CTCDecoderLMState()
                self.ctx = {state: (BOS,)}
                return state

            def _score(self, ctx, word):
                key = (ctx, word)
                s = self.cache.get(key)
                if s is None:
                    s = self.arpa.logprob(ctx, word) * LN10
                    if len(self.cache) > 500_000:
                        self.cache.clear()
                    self.cache[key] = s
                return s

            def score(self, state, usr_token_idx: int):
                ctx = self.ctx[state]
                word = self.words[usr_token_idx]
                child = state.child(usr_token_idx)
                if child not in self.ctx:
                    self.ctx[child] = (ctx + (word,))[-self.n :]
                return child, self._score(ctx, word)

            def finish(self, state):
                return state, self._score(self.ctx[state], EOS)

        return _Impl(*args, **kwargs)


class BeamDecoder:
    """Lexicon-constrained CTC beam search with a word n-gram LM.

    Files (inside the model directory): ``tokens.txt`` (one label per model output
    index; ``-`` blank, ``|`` word boundary), ``lexicon.txt[.gz]`` (``WORD W O R D |``),
    ``lm.arpa`` or ``lm.arpa.gz``; parameters from model.json ``decoder``."""

    def __init__(
        self,
        model_dir: Path,
        beam_size: int = 64,
        lm_weight: float = 0.6,
        word_score: float = 0.0,
        beam_threshold: float = 25.0,
        sil_score: float = 0.0,
    ):
        import gzip
        import shutil
        import tempfile

        from torchaudio.models.decoder import ctc_decoder

        from .lm import read_lexicon_words

        model_dir = Path(model_dir)
        lm_path = next(p for p in (model_dir / "lm.arpa.gz", model_dir / "lm.arpa") if p.exists())
        lex_path = next(p for p in (model_dir / "lexicon.txt", model_dir / "lexicon.txt.gz") if p.exists())
        # flashlight reads plain files (the lexicon and its word dictionary, in LM index order)
        # while the decoder is built, and never again: they live only that long, so no
        # process, however it ends, leaves them behind.
        with tempfile.TemporaryDirectory(prefix="asr-lexicon-") as scratch:
            if lex_path.suffix == ".gz":
                plain = Path(scratch) / "lexicon.txt"
                with gzip.open(lex_path, "rb") as src, open(plain, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                lex_path = plain
            words_unique = read_lexicon_words(lex_path) + ["<unk>"]
            words_file = Path(scratch) / "words.txt"
            words_file.write_text("\n".join(words_unique) + "\n", encoding="utf-8")
            self.lm = NgramLMAdapter(ArpaLM(lm_path), words_unique)
            self.tokens = (model_dir / "tokens.txt").read_text(encoding="utf-8").split("\n")
            self.tokens = [t for t in self.tokens if t != ""]
            self.decoder = ctc_decoder(
                lexicon=str(lex_path),
                tokens=self.tokens,
                lm=self.lm,
                lm_dict=str(words_file),
                nbest=1,
                beam_size=beam_size,
                beam_threshold=beam_threshold,
                lm_weight=lm_weight,
                word_score=word_score,
                sil_score=sil_score,
                unk_score=float("-inf"),
                blank_token="-",
                sil_token="|",
            )
        self._lock = threading.Lock()

    def decode(self, logp: torch.Tensor) -> list[WordSpan]:
        em = logp.detach().to("cpu", torch.float32).contiguous()[None]
        with self._lock:
            hyp = self.decoder(em)[0][0]
        toks = hyp.tokens.tolist()
        steps = hyp.timesteps.tolist()
        labels = [self.tokens[t] for t in toks]
        # drop leading/trailing boundary tokens and blanks
        pairs = [(lab, fr) for lab, fr in zip(labels, steps, strict=False) if lab != "-"]
        spans = _spans_from_tokens([p[0] for p in pairs], [p[1] for p in pairs])
        words = [w for w in hyp.words]
        if [s.word for s in spans] != words and len(spans) == len(words):
            for s, w in zip(spans, words, strict=False):
                s.word = w
        return spans
