"""Training the Whisper decoder with SpeechBrain: the Brain (learning-rate schedule, best epoch
by validation WER), the schedule chosen from the amount of data, and the interpolation back
towards the base's weights, its share chosen by measurement (see `training` for the recipe)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import speechbrain as sb
import torch
import torch.nn.functional as F

from .. import StopTraining
from .. import checkpoint as checkpoints
from ..curve import epoch_point
from . import PYTORCH_DIR
from .encoder_states import EncoderStates, KeptAnchor
from .shares import ANCHOR_BUDGET_SHARE, SHARES, Blender, blend, choose_share, search_done
from .windows import (
    IGNORE,
    WINDOW_SECONDS,
    Tokens,
    Window,
    _max_new_tokens,
    _read_json,
    bfloat16_is_fast,
    encode,
    greedy,
    load_whisper,
    pack,
    word_error_rate,
)

BATCH_WINDOWS = 4
MIN_STEPS = 30  # small sets get more epochs, so that training moves at all
MAX_EPOCHS = 12


class WhisperBrain(sb.Brain):
    """Decoder training on packed windows: warm-up then cosine learning rate, state of the
    best epoch by validation WER kept (epoch 0 is the base itself), a checkpoint written at
    each epoch end when the run has somewhere to keep one."""

    def init_optimizers(self):
        super().init_optimizers()
        # The optimiser exists only from here on: a resumed run's moments are loaded into it now
        # (and let go: they are the largest part of a checkpoint).
        resumed, self.hparams.resumed = self.hparams.resumed, None
        if resumed:
            self.optimizer.load_state_dict(resumed["optimizer"])

    def encoder_states(self, indices: list[int], stage) -> torch.Tensor:
        h = self.hparams
        whisper = self.modules.whisper
        if h.train_encoder:
            training = stage == sb.Stage.TRAIN
            # Training runs the encoder's products in bfloat16 where that is fast (1.7x a step on
            # Whisper base, two cores); validation hears in float32, as the export check does.
            fast = training and bfloat16_is_fast(torch.device(self.device))
            with torch.set_grad_enabled(training), torch.autocast("cpu", torch.bfloat16, enabled=fast):
                return encode(whisper, [h.windows[i].audio() for i in indices], self.device).float()
        # Frozen encoder, fixed inputs: each window is encoded once, later epochs cost the decoder only.
        missing = [i for i in indices if i not in h.cache]
        if missing:
            mark = time.time()
            with torch.no_grad():
                states = encode(whisper, [h.windows[i].audio() for i in missing], self.device)
            for i, state in zip(missing, states, strict=True):
                h.cache[i] = state
            h.encoding_s += time.time() - mark
        return torch.stack([h.cache[i] for i in indices]).to(self.device).float()

    def compute_forward(self, batch, stage):
        indices, inputs, _ = batch
        states = self.encoder_states(indices, stage)
        logits, _, _ = self.modules.whisper.forward_decoder(states, inputs.to(self.device), use_cache=False)
        return logits, states

    def compute_objectives(self, predictions, batch, stage):
        h = self.hparams
        logits, states = predictions
        indices, _, labels = batch
        loss = F.cross_entropy(logits.transpose(1, 2), labels.to(self.device), ignore_index=IGNORE)
        if stage != sb.Stage.TRAIN:
            windows = [h.windows[i] for i in indices]
            self.hypotheses += greedy(self.modules.whisper, h.tokens, states, _max_new_tokens(windows))
            self.references += [w.text for w in windows]
        return loss

    def on_fit_batch_start(self, batch, should_step):
        h = self.hparams
        step = self.done_steps + 1
        warm = min(1.0, step / h.warmup_steps)
        frac = min(1.0, (step - 1) / h.total_steps)
        for group in self.optimizer.param_groups:
            group["lr"] = h.lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))

    def on_fit_batch_end(self, batch, outputs, loss, should_step):
        h = self.hparams
        # Not `self.step`: SpeechBrain keeps its own per-epoch step counter under that name.
        self.done_steps += 1
        if not h.on_step(min(1.0, self.done_steps / h.total_steps)):
            raise StopTraining("stopped")

    def on_stage_start(self, stage, epoch=None):
        self.hypotheses, self.references = [], []

    def on_stage_end(self, stage, stage_loss, epoch=None):
        h = self.hparams
        if stage == sb.Stage.TRAIN:
            self.train_loss = stage_loss
            return
        wer = word_error_rate(self.references, self.hypotheses, h.language)
        # The first epoch also encodes every window once (a frozen encoder's states are kept): the
        # epochs left cost what an epoch costs without that.
        per_epoch = (time.time() - h.epochs_started - h.encoding_s) / (epoch - h.first_epoch + 1)
        eta = per_epoch * (h.epochs - epoch)
        h.log(
            f"epoch {epoch}/{h.epochs} loss {self.train_loss:.3f} valid loss {stage_loss:.3f} "
            f"valid WER {wer:.1f}% ETA {eta:.0f}s"
        )
        h.history.append(epoch_point(epoch, self.train_loss, stage_loss, wer))
        # Ties go to the earlier epoch: the validation clips share the training voices, so a
        # later epoch with the same score has only drifted further from the base.
        if wer < h.best["valid_wer"]:
            h.best = {"valid_wer": wer, "epoch": epoch, "state": _trainable_state(self.modules.whisper.model)}
        # Nothing can beat a perfect score (ties go to the earlier epoch): the rest would be wasted.
        self.finished = wer == 0.0
        h.epochs_run = epoch
        if h.checkpoint is not None:
            checkpoints.write(h.checkpoint, self.checkpoint_state(epoch), h.log, expect=h.fingerprint)

    def checkpoint_state(self, epoch: int) -> dict:
        """All that the epochs after `epoch` depend on, so that a resumed run continues as this one would."""
        h = self.hparams
        best = h.best
        return {
            "epoch": epoch,
            "epochs": h.epochs,
            "lr": h.lr,
            "total_steps": h.total_steps,
            "done_steps": self.done_steps,
            "finished": self.finished,
            "epochs_run": h.epochs_run,
            "base_wer": h.base_wer,
            "history": h.history,
            # The base's weights (epoch 0) are reloaded and this epoch's are `weights`: kept once.
            "best": {
                "valid_wer": best["valid_wer"],
                "epoch": best["epoch"],
                "state": best["state"] if 0 < best["epoch"] < epoch else None,
            },
            "weights": _trainable_state(self.modules.whisper.model),
            "optimizer": self.optimizer.state_dict(),
            "shuffle": h.shuffle.get_state(),
            "random": checkpoints.random_states(),
        }

    def resume(self, saved: dict) -> None:
        """Weights, best epoch, curve and random states as a checkpoint left them (the optimiser
        follows in `init_optimizers`)."""
        h = self.hparams
        self.modules.whisper.model.load_state_dict(saved["weights"], strict=False)
        best = saved["best"]
        state = best["state"] or (saved["weights"] if best["epoch"] == saved["epoch"] else h.anchor)
        h.best = {"valid_wer": best["valid_wer"], "epoch": best["epoch"], "state": state}
        h.history, h.epochs_run, h.base_wer = list(saved["history"]), saved["epochs_run"], saved["base_wer"]
        self.done_steps, self.finished = saved["done_steps"], saved["finished"]
        h.shuffle.set_state(saved["shuffle"])
        checkpoints.set_random_states(saved["random"])

    def validate(self, loader) -> float:
        """Validation WER of the weights as they are now (the base before training, the blend after)."""
        self.modules.eval()
        self.on_stage_start(sb.Stage.VALID)
        with torch.no_grad():
            for batch in loader:
                self.compute_objectives(self.compute_forward(batch, sb.Stage.VALID), batch, sb.Stage.VALID)
        return word_error_rate(self.references, self.hypotheses, self.hparams.language)


def _trainable_state(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().to("cpu", copy=True) for n, p in model.named_parameters() if p.requires_grad}


def schedule_for(train_seconds: float) -> tuple[int, float]:
    """Epochs and peak learning rate from the amount of data (see the module docstring)."""
    minutes = train_seconds / 60
    if minutes <= 30:
        return 5, 1e-4
    if minutes <= 120:
        return 3, 1e-4
    if minutes <= 600:
        return 2, 5e-5
    return 1, 3e-5


def _loader(indices: list[int], windows: list[Window], tokens: Tokens, *, shuffle: bool, seed: int):
    def collate(batch: list[int]):
        inputs, labels = tokens.batch([windows[i].text for i in batch])
        return batch, inputs, labels

    generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(
        indices, batch_size=BATCH_WINDOWS, shuffle=shuffle, collate_fn=collate, generator=generator
    )


def train(
    base_dir: Path,
    train_rows: list[dict],
    valid_rows: list[dict],
    work_dir: Path,
    *,
    epochs: int | None = None,
    lr: float | None = None,
    train_encoder: bool = False,
    language: str | None = None,
    anchor_rows: list[dict] | None = None,
    max_regression: float = 2.0,
    shares: tuple[float, ...] = SHARES,
    log: Callable[[str], None] = print,
    on_progress: Callable[[float], bool] = lambda fraction: True,
    seed: int = 0,
    checkpoint=None,
):
    """Fine-tune, then blend with the base by the share that measures best (`choose_share`);
    returns (whisper with the shipped weights loaded, tokens, summary, a Blender to move them).

    `checkpoint` (engine.Checkpoint) gets the run's state at each epoch end; when it holds one
    already, training continues after that epoch, on the schedule it was started with."""
    torch.manual_seed(seed)
    random.seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    pytorch_dir = base_dir / PYTORCH_DIR
    whisper = load_whisper(pytorch_dir, work_dir / "hf-cache", freeze_encoder=not train_encoder)
    language = language or _read_json(base_dir / "model.json").get("language") or "en"
    tokens = Tokens(whisper, pytorch_dir, language)
    # Validation segments are a scattered tenth of the recordings: packed by recording they made
    # nearly a window each (at 5 h, 69 segments in 63 windows, each decoded once an epoch and once a
    # blend share). Packed together they fill windows, as training's do.
    train_windows = pack(train_rows)
    valid_windows = pack([{**row, "source": "validation"} for row in valid_rows])
    # Everyday sentences, one window each, as the regression gate hears them; they never train.
    anchor_windows = pack(
        [{**row, "source": None} for row in anchor_rows or [] if row["text"]], max_seconds=0.0
    )
    windows = train_windows + valid_windows + anchor_windows
    train_seconds = sum(r["duration"] for r in train_rows)
    default_epochs, default_lr = schedule_for(train_seconds)
    steps_per_epoch = math.ceil(len(train_windows) / BATCH_WINDOWS)
    trainable = sum(p.numel() for p in whisper.parameters() if p.requires_grad)
    fingerprint = {
        "family": "whisper",
        "train_windows": len(train_windows),
        "valid_windows": len(valid_windows),
        "trainable": trainable,
    }
    saved = checkpoints.read(checkpoint, log, expect=fingerprint)
    if saved:
        # The schedule the run started with, whatever this call asks: the learning rate follows it.
        epochs, lr = saved["epochs"], saved["lr"]
    epochs = epochs or min(MAX_EPOCHS, max(default_epochs, math.ceil(MIN_STEPS / steps_per_epoch)))
    lr = lr or default_lr
    total_steps = steps_per_epoch * epochs
    hparams = {
        "lr": lr,
        "epochs": epochs,
        "warmup_steps": max(1, total_steps // 10),
        "total_steps": total_steps,
        "windows": windows,
        "tokens": tokens,
        "train_encoder": train_encoder,
        # Each window's encoder states (1500 x d, float16), kept in a file the OS pages in and out:
        # 1.15 MB a window for tiny.en, 0.7 GB at 5 hours, so the trainer's memory does not grow
        # with the hours of audio (issue: hours, not minutes).
        "cache": EncoderStates(work_dir / "encoder-states.f16", len(windows)),
        "language": language,
        "anchor": _trainable_state(whisper.model),
        "log": log,
        "on_step": on_progress,
        "started": time.time(),
        "encoding_s": 0.0,  # seconds spent encoding windows for the first time (frozen encoder)
        "history": [],
        "checkpoint": checkpoint,
        "fingerprint": fingerprint,
        "resumed": saved,
        "first_epoch": saved["epoch"] + 1 if saved else 1,
    }
    brain = WhisperBrain(
        modules={"whisper": whisper},
        # fused: one kernel for all tensors, 3x faster steps on CPU
        opt_class=lambda params: torch.optim.AdamW(
            [p for p in params if p.requires_grad], lr=lr, weight_decay=0.0, fused=True
        ),
        hparams=hparams,
        run_opts={"device": device, "max_grad_norm": 1.0, "noprogressbar": True},
    )
    part = "encoder and decoder" if train_encoder else "the decoder; the encoder stays as it is"
    log(
        f"fine-tuning {trainable / 1e6:.1f}M parameters ({part}) on {len(train_rows)} segments "
        f"({train_seconds / 60:.1f} min) packed into {len(train_windows)} windows of up to "
        f"{WINDOW_SECONDS:.0f} s, {epochs} epochs, lr {lr:g}, {len(valid_windows)} validation windows"
    )
    train_loader = _loader(list(range(len(train_windows))), windows, tokens, shuffle=True, seed=seed)
    valid_indices = list(range(len(train_windows), len(train_windows) + len(valid_windows)))
    valid_loader = _loader(valid_indices, windows, tokens, shuffle=False, seed=seed)
    anchor_indices = list(range(len(train_windows) + len(valid_windows), len(windows)))
    anchor_loader = (
        _loader(anchor_indices, windows, tokens, shuffle=False, seed=seed) if anchor_indices else None
    )
    # A frozen encoder hears the anchor set as every run on this base does: its states and the
    # base's transcripts of it are kept beside the set (encoder_states.KeptAnchor).
    kept_anchor = None
    if anchor_indices and not train_encoder:
        kept_anchor = KeptAnchor(anchor_rows, pytorch_dir, language)
    recalled = kept_anchor.recall() if kept_anchor else None
    if recalled:
        for index, state in zip(anchor_indices, recalled[0], strict=True):
            hparams["cache"][index] = torch.from_numpy(np.array(state))
    brain.hparams.shuffle = train_loader.generator
    resumed_after = saved["epoch"] if saved else None
    if saved:
        brain.resume(saved)
        base_wer, best = saved["base_wer"], brain.hparams.best
        del saved  # the optimiser's part is loaded and let go in init_optimizers
        log(
            f"resuming from the checkpoint after epoch {resumed_after} of {epochs} (best so far: "
            f"epoch {best['epoch']}, valid WER {best['valid_wer']:.1f}%; base model {base_wer:.1f}%)"
        )
        if not on_progress(min(1.0, brain.done_steps / total_steps)):
            raise StopTraining("stopped")
    else:
        base_wer = brain.validate(valid_loader)
        log(f"base model valid WER {base_wer:.1f}%")
        brain.hparams.best = {"valid_wer": base_wer, "epoch": 0, "state": hparams["anchor"]}
        brain.finished, brain.hparams.epochs_run, brain.done_steps = False, 0, 0
        brain.hparams.base_wer = base_wer
    first = brain.hparams.first_epoch
    # The ETA counts from here: the base's validation above is not an epoch's cost.
    brain.hparams.epochs_started, brain.hparams.encoding_s = time.time(), 0.0
    brain.fit((epoch for epoch in range(first, epochs + 1) if not brain.finished), train_loader, valid_loader)
    best = brain.hparams.best
    # The base (share 0) and the best epoch (share 1) were validated already.
    known_valid = {0.0: base_wer, 1.0: best["valid_wer"]}

    def everyday_wer() -> float | None:
        """The weights as they are now on the anchor set (None without one)."""
        return round(brain.validate(anchor_loader), 2) if anchor_loader else None

    def base_everyday_wer() -> float | None:
        if recalled:
            references = [windows[i].text for i in anchor_indices]
            return round(word_error_rate(references, recalled[1], language), 2)
        wer = everyday_wer()
        if kept_anchor:
            kept_anchor.keep(hparams["cache"].array[anchor_indices], list(brain.hypotheses))
        return wer

    def measure(share: float, everyday: bool = True) -> dict:
        whisper.model.load_state_dict(best["state"] if share else hparams["anchor"], strict=False)
        if share:
            blend(whisper.model, hparams["anchor"], share)
        valid_wer = known_valid[share] if share in known_valid else brain.validate(valid_loader)
        return {
            "share": share,
            "valid_wer": round(valid_wer, 2),
            "anchor_wer": (everyday_wer() if share else base_everyday_wer()) if everyday else None,
        }

    budget = max_regression * ANCHOR_BUDGET_SHARE
    measured = [measure(0.0)]
    # From the whole change down, until a smaller share can no longer win (`search_done`), and a
    # share is heard on everyday speech only when its validation WER could still win: on the 13
    # runs logged here before, it chose what measuring every share chose, with 48 decodes of the
    # anchor set instead of 91 (2 of 7 on most English runs: about 30 s of a 15-minute run).
    for share in sorted(set(shares) - {0.0}, reverse=True):
        measured.append(measure(share, everyday=False))
        if search_done(measured, budget=budget):
            break
        if anchor_loader:
            measured[-1]["anchor_wer"] = everyday_wer()  # the weights are still at this share
            if search_done(measured, budget=budget):
                break
    measured.sort(key=lambda m: m["share"])
    choice = choose_share(measured, budget=budget)
    interpolation, blended_wer = choice["share"], choice["valid_wer"]
    whisper.model.load_state_dict(best["state"], strict=False)
    blend(whisper.model, hparams["anchor"], interpolation)
    log(
        f"best epoch {best['epoch']} (valid WER {best['valid_wer']:.1f}%); "
        + ", ".join(
            f"{m['share']:.0%} of the change: valid {m['valid_wer']:.1f}%"
            + (f", everyday {m['anchor_wer']:.1f}%" if m["anchor_wer"] is not None else "")
            for m in measured
        )
    )
    log(
        f"shipping {interpolation:.0%} of the change from the base (valid WER {blended_wer:.1f}%): "
        f"{choice['why']}"
    )
    summary = {
        "epochs": epochs,
        "epochs_run": brain.hparams.epochs_run,
        "lr": lr,
        "best_epoch": best["epoch"],
        "best_valid_wer": round(best["valid_wer"], 2),
        "train_seconds": round(train_seconds, 1),
        "windows": len(train_windows),
        "encoder_frozen": not train_encoder,
        "interpolation": interpolation,
        "interpolation_reason": choice["why"],
        "interpolation_measured": measured,
        "valid_wer": round(blended_wer, 2),
        "train_s": round(time.time() - hparams["started"], 1),
        "history": brain.hparams.history,
        "resumed_after_epoch": resumed_after,
    }
    return whisper, tokens, summary, Blender(whisper, best["state"], hparams["anchor"], measure, shares)
