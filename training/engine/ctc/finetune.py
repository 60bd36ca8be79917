"""Fine-tune a base model on a customer's segments, adapt its language model, package it.

Imported on demand only (torch + speechbrain). The base's own label set is kept,
so a fine-tuned model loads and decodes exactly like its base.
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import random
import shutil
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import soundfile as sf
import speechbrain as sb
import torch
from speechbrain.nnet.losses import ctc_loss

from .. import StopTraining
from .. import checkpoint as checkpoints
from ..curve import epoch_point
from ..starter.train import BucketSampler, _edits
from ..starter.train import collate as _collate
from . import lm as lm_mod
from .decoding import BeamDecoder, greedy_decode
from .recognizer import clear_cache, load_model

LM_CORPUS = "lm_corpus.txt.gz"
SPACE = " "


# -- text ------------------------------------------------------------------------------------


def label_set(base_dir) -> tuple[list[str], int]:
    model = load_model(base_dir)
    return model.labels, model.blank


def normalise_for_labels(text: str, labels: list[str]) -> tuple[str, set[str]]:
    """Text in the base's alphabet, and the characters that had to be dropped.

    Accents are folded (é -> E), case follows the labels, punctuation becomes a
    space; anything else outside the label set is dropped and reported.
    """
    alphabet = {lab for lab in labels if len(lab) == 1}  # not the blank ("<blank>")
    letters = [lab for lab in alphabet if lab.isalpha()]
    upper = all(lab.isupper() for lab in letters)
    folded = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = folded.upper() if upper else folded.lower()
    out, dropped = [], set()
    for ch in folded:
        if ch in alphabet and ch != SPACE:
            out.append(ch)
        elif ch.isspace() or unicodedata.category(ch).startswith("P") or ch in "-/":
            out.append(SPACE)
        else:
            dropped.add(ch)
            out.append(SPACE)
    words = "".join(out).split()
    if "'" in alphabet:  # keep word-internal apostrophes only
        words = [w.strip("'") for w in words]
    return " ".join(w for w in words if w), dropped


# -- training --------------------------------------------------------------------------------


class _Segments(torch.utils.data.Dataset):
    def __init__(self, rows: list[dict], char2id: dict[str, int]):
        self.rows, self.char2id = rows, char2id

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        row = self.rows[i]
        wav, _ = sf.read(row["wav"], dtype="float32")
        tokens = [self.char2id[c] for c in row["text"] if c in self.char2id]
        return torch.from_numpy(wav), torch.tensor(tokens), row["text"]


class FineTuneBrain(sb.Brain):
    """CTC fine-tuning: warm-up then cosine learning rate, best state kept by validation WER,
    a checkpoint written at each epoch end when the run has somewhere to keep one."""

    def init_optimizers(self):
        super().init_optimizers()
        # The optimiser exists only from here on: a resumed run's moments are loaded into it now
        # (and let go: they are the largest part of a checkpoint).
        resumed, self.hparams.resumed = self.hparams.resumed, None
        if resumed:
            self.optimizer.load_state_dict(resumed["optimizer"])

    def compute_forward(self, batch, stage):
        wavs, wav_lens = batch[0].to(self.device), batch[1].to(self.device)
        if stage == sb.Stage.TRAIN:  # loudness jitter: customers' recordings vary in level
            wavs = wavs * torch.empty(wavs.shape[0], 1, device=wavs.device).uniform_(0.5, 1.5)
        return self.modules.model(wavs, wav_lens), wav_lens

    def compute_objectives(self, predictions, batch, stage):
        log_probs, wav_lens = predictions
        tokens, tok_lens, texts = batch[2].to(self.device), batch[3].to(self.device), batch[4]
        loss = ctc_loss(log_probs, tokens, wav_lens, tok_lens, self.hparams.blank)
        if stage != sb.Stage.TRAIN:
            frames = (wav_lens * log_probs.shape[1]).round().long().tolist()
            for i, text in enumerate(texts):
                spans = greedy_decode(
                    log_probs[i, : frames[i]].cpu(), self.hparams.labels, self.hparams.blank
                )
                hyp = " ".join(s.word for s in spans)
                self.word_edits += _edits(text.split(), hyp.split())
                self.words += len(text.split())
        return loss

    def on_fit_batch_end(self, batch, outputs, loss, should_step):
        h = self.hparams
        # Not `self.step`: SpeechBrain keeps its own per-epoch step counter under that name.
        self.done_steps += 1
        warm = min(1.0, self.done_steps / h.warmup_steps)
        frac = min(1.0, self.done_steps / h.total_steps)
        lr = h.lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.last_loss = float(loss)
        if not h.on_step(min(1.0, self.done_steps / h.total_steps)):
            raise StopTraining("stopped")

    def on_stage_start(self, stage, epoch=None):
        self.word_edits = self.words = 0

    def on_stage_end(self, stage, stage_loss, epoch=None):
        h = self.hparams
        if stage == sb.Stage.TRAIN:
            self.train_loss = stage_loss
            return
        wer = self.word_edits / max(1, self.words)
        elapsed = time.time() - h.started
        eta = elapsed / (epoch - h.first_epoch + 1) * (h.epochs - epoch)
        h.log(
            f"epoch {epoch}/{h.epochs} loss {self.train_loss:.3f} valid loss {stage_loss:.3f} "
            f"valid WER {wer:.1%} ETA {eta:.0f}s"
        )
        h.history.append(epoch_point(epoch, self.train_loss, stage_loss, wer * 100))
        if h.best is None or wer < h.best["valid_wer"]:
            h.best = {
                "valid_wer": wer,
                "epoch": epoch,
                "state": copy.deepcopy(self.modules.model.state_dict()),
            }
        if h.checkpoint is not None:
            checkpoints.write(h.checkpoint, self.checkpoint_state(epoch), h.log, expect=h.fingerprint)

    def checkpoint_state(self, epoch: int) -> dict:
        """All that the epochs after `epoch` depend on, so that a resumed run continues as this one would."""
        h = self.hparams
        return {
            "epoch": epoch,
            "epochs": h.epochs,
            "lr": h.lr,
            "done_steps": self.done_steps,
            "history": h.history,
            # This epoch's weights are `weights`: the best state is kept once.
            "best": {**h.best, "state": h.best["state"] if h.best["epoch"] < epoch else None},
            "weights": self.modules.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "samplers": [_sampler_state(sampler) for sampler in h.samplers],
            "random": checkpoints.random_states(),
        }

    def resume(self, saved: dict) -> None:
        """Weights, best epoch, curve and random states as a checkpoint left them (the optimiser
        follows in `init_optimizers`)."""
        h = self.hparams
        self.modules.model.load_state_dict(saved["weights"])
        h.best = {**saved["best"], "state": saved["best"]["state"] or saved["weights"]}
        h.history, self.done_steps = list(saved["history"]), saved["done_steps"]
        for sampler, state in zip(h.samplers, saved["samplers"], strict=True):
            sampler.rng.setstate(state["rng"])
            sampler._batches = [list(batch) for batch in state["batches"]]
        checkpoints.set_random_states(saved["random"])


def _sampler_state(sampler: BucketSampler) -> dict:
    # The batches of the next epoch are drawn ahead of it (BucketSampler.__iter__).
    return {"rng": sampler.rng.getstate(), "batches": sampler._batches}


def schedule_for(train_seconds: float) -> tuple[int, float]:
    """Epochs and peak learning rate from the amount of data.

    Small sets need more passes; measured on this machine, 10 minutes of speech
    gains most from about 8 epochs at 3e-4 (shared/notes/asr-feasibility.md).
    """
    minutes = train_seconds / 60
    if minutes <= 20:
        return 10, 3e-4
    if minutes <= 60:
        return 8, 3e-4
    if minutes <= 300:
        return 5, 2e-4
    return 3, 2e-4


def finetune(
    base_dir,
    train_rows: list[dict],
    valid_rows: list[dict],
    *,
    epochs: int | None = None,
    lr: float | None = None,
    max_batch_s: float = 48.0,
    log: Callable[[str], None] = print,
    on_progress: Callable[[float], bool] = lambda fraction: True,
    seed: int = 0,
    checkpoint=None,
) -> dict:
    """Fine-tune the base encoder; returns the best state dict and a summary.

    `on_progress(fraction)` is called after each step; returning False stops the run.
    `checkpoint` (engine.Checkpoint) gets the run's state at each epoch end; when it holds one
    already, training continues after that epoch, on the schedule it was started with.
    """
    base = load_model(base_dir)
    # Seeded after loading: a base not yet in the model cache draws from the generators as it
    # loads, and a run must not depend on that (nor a resumed one on what the first run drew).
    torch.manual_seed(seed)
    random.seed(seed)
    # The inference copy is frozen; the copy we train is not.
    model = copy.deepcopy(base.asr.mods.encoder).train().requires_grad_(True)
    if hasattr(model, "spec_augment"):
        model.spec_augment = True  # masking regularises small fine-tuning sets
    labels, blank = base.labels, base.blank
    char2id = {lab: i for i, lab in enumerate(labels) if i != blank}
    train_seconds = sum(r["duration"] for r in train_rows)
    fingerprint = {"family": "ctc", "train_rows": len(train_rows), "valid_rows": len(valid_rows)}
    saved = checkpoints.read(checkpoint, log, expect=fingerprint)
    if saved:
        epochs, lr = saved["epochs"], saved["lr"]
    default_epochs, default_lr = schedule_for(train_seconds)
    epochs, lr = epochs or default_epochs, lr or default_lr

    sampler = BucketSampler([r["duration"] for r in train_rows], max_batch_s, None, seed=seed)
    train_loader = torch.utils.data.DataLoader(
        _Segments(train_rows, char2id), batch_sampler=sampler, collate_fn=_collate, num_workers=0
    )
    valid_sampler = BucketSampler([r["duration"] for r in valid_rows], 120.0, None, seed=seed)
    valid_loader = torch.utils.data.DataLoader(
        _Segments(valid_rows, char2id), batch_sampler=valid_sampler, collate_fn=_collate, num_workers=0
    )
    total_steps = max(1, len(sampler) * epochs)
    hparams = {
        "lr": lr,
        "epochs": epochs,
        "warmup_steps": max(1, total_steps // 10),
        "total_steps": total_steps,
        "labels": labels,
        "blank": blank,
        "log": log,
        "on_step": on_progress,
        "started": time.time(),
        "best": None,
        "history": [],
        "checkpoint": checkpoint,
        "fingerprint": fingerprint,
        "resumed": saved,
        "first_epoch": saved["epoch"] + 1 if saved else 1,
        "samplers": [sampler, valid_sampler],
    }
    brain = FineTuneBrain(
        modules={"model": model},
        opt_class=lambda params: torch.optim.AdamW(params, lr=lr, weight_decay=1e-3),
        hparams=hparams,
        run_opts={
            "device": "cuda" if torch.cuda.is_available() else "cpu",
            "max_grad_norm": 5.0,
            "noprogressbar": True,
        },
    )
    log(
        f"fine-tuning {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters on "
        f"{len(train_rows)} segments ({train_seconds / 60:.1f} min), {epochs} epochs, lr {lr:g}, "
        f"{len(valid_rows)} validation segments"
    )
    brain.done_steps = 0
    resumed_after = saved["epoch"] if saved else None
    if saved:
        brain.resume(saved)
        best = brain.hparams.best
        del saved  # the optimiser's part is loaded and let go in init_optimizers
        log(
            f"resuming from the checkpoint after epoch {resumed_after} of {epochs} "
            f"(best so far: epoch {best['epoch']}, valid WER {best['valid_wer']:.1%})"
        )
        if not on_progress(min(1.0, brain.done_steps / total_steps)):
            raise StopTraining("stopped")
    brain.fit(range(brain.hparams.first_epoch, epochs + 1), train_loader, valid_loader)
    best = brain.hparams.best
    return {
        "state": {k: v.detach().cpu().float() for k, v in best["state"].items()},
        "best_epoch": best["epoch"],
        "best_valid_wer": best["valid_wer"],
        "epochs": epochs,
        "lr": lr,
        "history": brain.hparams.history,
        "wall_s": round(time.time() - brain.hparams.started, 1),
        "train_seconds": train_seconds,
        "resumed_after_epoch": resumed_after,
    }


# -- language model and packaging ------------------------------------------------------------


def adapt_lm(
    base_dir, out_dir, domain_sentences: list[str], *, domain_share: float = 0.3, order: int = 3
) -> dict:
    """Join the domain's transcripts to the base's LM text and rebuild the n-gram LM and lexicon.

    Domain sentences are repeated until they make about `domain_share` of the text,
    so their words become words the decoder can produce, and likely ones. Every
    word of the base's lexicon stays in (as a unigram where the text lacks it).
    """
    base_dir, out_dir = Path(base_dir), Path(out_dir)
    base_lexicon = next(p for p in (base_dir / "lexicon.txt", base_dir / "lexicon.txt.gz") if p.exists())
    base_words = set(lm_mod.read_lexicon_words(base_lexicon))
    base_sentences: list[str] = []
    if (base_dir / LM_CORPUS).exists():
        with gzip.open(base_dir / LM_CORPUS, "rt", encoding="utf-8") as handle:
            base_sentences = [line.strip() for line in handle if line.strip()]
    domain = [s for s in domain_sentences if s.strip()]
    repeat = max(1, round(domain_share * len(base_sentences) / max(1, (1 - domain_share) * len(domain))))
    info = lm_mod.build_lm(
        base_sentences + domain * repeat, out_dir / "lm.arpa.gz", order=order, extra_words=sorted(base_words)
    )
    vocabulary = base_words | {w for s in domain for w in s.split()}
    words = lm_mod.write_lexicon(vocabulary, out_dir / "lexicon.txt.gz")
    return {
        "ngrams": info.get("ngrams"),
        "lexicon_words": words,
        "domain_sentences": len(domain),
        "new_words": len(vocabulary - base_words),
        "repeat": repeat,
        "base_text": bool(base_sentences),
    }


def package(base_dir, out_dir, state: dict, meta: dict) -> None:
    """Write a model directory in the base's layout with the fine-tuned weights."""
    base_dir, out_dir = Path(base_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (
        "hyperparams.yaml",
        "tokenizer.ckpt",
        "tokens.txt",
        "lexicon.txt",
        "words.txt",
        "lm.arpa.gz",
    ):
        if (base_dir / name).exists() and not (out_dir / name).exists():
            shutil.copy2(base_dir / name, out_dir / name)
    torch.save(state, out_dir / "encoder.ckpt")
    base_meta = {}
    if (base_dir / "model.json").exists():
        base_meta = json.loads((base_dir / "model.json").read_text())
    merged = {**base_meta, **meta, "decoder": base_meta.get("decoder", {})}
    merged.pop("evaluation", None)
    (out_dir / "model.json").write_text(json.dumps(merged, indent=2) + "\n")
    clear_cache()


def recognise(model_dir, wav_paths: list[str], *, decoder: str = "auto") -> list[str]:
    """Transcripts of short segments (≤ 30 s each), lower-case words."""
    model = load_model(model_dir)
    beam = model.beam_decoder() if decoder != "greedy" else None
    hyps = []
    for path in wav_paths:
        wav, _ = sf.read(path, dtype="float32")
        log_probs = model.log_probs(wav)
        spans = (
            beam.decode(log_probs)
            if beam is not None
            else greedy_decode(log_probs, model.labels, model.blank)
        )
        hyps.append(" ".join(s.word for s in spans).lower())
    return hyps


__all__ = [
    "BeamDecoder",
    "StopTraining",
    "adapt_lm",
    "finetune",
    "label_set",
    "normalise_for_labels",
    "package",
    "recognise",
    "schedule_for",
]
