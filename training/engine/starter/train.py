"""Train the starter ConformerCTCEncoder with a speechbrain ``Brain`` on CPU/GPU.

Time-budgeted: a wall-clock deadline drives the learning-rate schedule (warm-up,
then cosine decay to the deadline) and stops training; a checkpoint is written
after every epoch and every ``save_every_s`` seconds.
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

import soundfile as sf
import speechbrain as sb
import torch
from speechbrain.nnet.losses import ctc_loss

from ..ctc.modules import ConformerCTCEncoder
from .synth import read_manifest
from .text import ALPHABET

BLANK = 0
CHAR2ID = {c: i + 1 for i, c in enumerate(ALPHABET)}


def encode_text(text: str) -> list[int]:
    return [CHAR2ID[c] for c in text if c in CHAR2ID]


def greedy_ids(logp: torch.Tensor, length: int) -> str:
    ids = logp[:length].argmax(-1).tolist()
    out, prev = [], BLANK
    for i in ids:
        if i != prev and i != BLANK:
            out.append(ALPHABET[i - 1])
        prev = i
    return "".join(out).strip()


class TimeBudget:
    def __init__(self, seconds: float):
        self.start = time.time()
        self.seconds = seconds

    @property
    def frac(self) -> float:
        return (time.time() - self.start) / self.seconds

    @property
    def over(self) -> bool:
        return self.frac >= 1.0


class BucketSampler(torch.utils.data.Sampler):
    """Batches of similar-length utterances totalling <= max_batch_s seconds;
    stops yielding once the time budget is spent."""

    def __init__(self, durations, max_batch_s=48.0, budget: TimeBudget | None = None, seed=0):
        self.durations = durations
        self.max_batch_s = max_batch_s
        self.budget = budget
        self.rng = random.Random(seed)
        self._batches = self._make()

    def _make(self):
        order = sorted(
            range(len(self.durations)), key=lambda i: self.durations[i] * self.rng.uniform(0.9, 1.1)
        )
        batches, cur, longest = [], [], 0.0
        for i in order:
            d = self.durations[i]
            if cur and max(longest, d) * (len(cur) + 1) > self.max_batch_s:
                batches.append(cur)
                cur, longest = [], 0.0
            cur.append(i)
            longest = max(longest, d)
        if cur:
            batches.append(cur)
        self.rng.shuffle(batches)
        return batches

    def __iter__(self):
        batches, self._batches = self._batches, self._make()
        for b in batches:
            if self.budget is not None and self.budget.over:
                return
            yield b

    def __len__(self):
        return len(self._batches)


class WavDataset(torch.utils.data.Dataset):
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        r = self.rows[i]
        wav, sr = sf.read(r["wav"], dtype="float32")
        return torch.from_numpy(wav), torch.tensor(encode_text(r["text"])), r["text"]


def collate(items):
    wavs, toks, texts = zip(*items, strict=False)
    wl = torch.tensor([len(w) for w in wavs], dtype=torch.float)
    tl = torch.tensor([len(t) for t in toks], dtype=torch.float)
    W = torch.zeros(len(wavs), int(wl.max()))
    T = torch.zeros(len(toks), max(1, int(tl.max())), dtype=torch.long)
    for i, (w, t) in enumerate(zip(wavs, toks, strict=False)):
        W[i, : len(w)] = w
        T[i, : len(t)] = t
    return W, wl / wl.max(), T, tl / tl.max().clamp(min=1), list(texts)


def add_noise(wavs: torch.Tensor, p: float = 0.5) -> torch.Tensor:
    """Additive white / brown-ish noise at a random SNR (5-35 dB) on a fraction p."""
    out = wavs.clone()
    for b in range(wavs.shape[0]):
        if random.random() > p:
            continue
        sig = wavs[b]
        power = sig.pow(2).mean().clamp(min=1e-8)
        noise = torch.randn_like(sig)
        if random.random() < 0.5:  # low-frequency weighted noise
            noise = torch.cumsum(noise, 0)
            noise = (
                noise
                - torch.nn.functional.avg_pool1d(noise[None, None], 401, 1, 200, count_include_pad=False)[
                    0, 0
                ]
            )
        snr = random.uniform(5, 35)
        noise = noise * (power / noise.pow(2).mean().clamp(min=1e-8) / 10 ** (snr / 10)).sqrt()
        out[b] = sig + noise
    return out


class CTCBrain(sb.Brain):
    def compute_forward(self, batch, stage):
        wavs, wav_lens, _, _, _ = batch
        wavs, wav_lens = wavs.to(self.device), wav_lens.to(self.device)
        if stage == sb.Stage.TRAIN:
            wavs = add_noise(wavs)
            wavs = wavs * torch.empty(wavs.shape[0], 1, device=wavs.device).uniform_(0.3, 1.5)
        return self.modules.model(wavs, wav_lens), wav_lens

    def compute_objectives(self, predictions, batch, stage):
        logp, wav_lens = predictions
        _, _, toks, tok_lens, texts = batch
        loss = ctc_loss(logp, toks.to(self.device), wav_lens, tok_lens.to(self.device), BLANK)
        if stage != sb.Stage.TRAIN:
            lens = (wav_lens * logp.shape[1]).round().long().tolist()
            for i, text in enumerate(texts):
                hyp = greedy_ids(logp[i].cpu(), lens[i])
                self.ed_chars += _edits(list(text), list(hyp))
                self.n_chars += len(text)
                self.ed_words += _edits(text.split(), hyp.split())
                self.n_words += len(text.split())
        return loss

    def on_fit_batch_end(self, batch, outputs, loss, should_step):
        self.n_steps_done = getattr(self, "n_steps_done", 0) + 1
        h = self.hparams
        step = self.n_steps_done
        warm = min(1.0, step / h.warmup_steps)
        frac = min(1.0, h.budget.frac)
        lr = h.peak_lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in self.optimizer.param_groups:
            g["lr"] = lr
        if step % 50 == 0:
            h.log(
                f"step {step} loss {loss.item():.3f} lr {lr:.2e} elapsed {time.time() - h.budget.start:.0f}s"
            )
        if time.time() - getattr(self, "_last_save", h.budget.start) > h.save_every_s:
            self._last_save = time.time()
            save_checkpoint(self, h.ckpt_dir / "latest.pt", {"step": step})

    def on_stage_start(self, stage, epoch=None):
        self.ed_chars = self.n_chars = self.ed_words = self.n_words = 0
        self._stage_t0 = time.time()

    def on_stage_end(self, stage, stage_loss, epoch=None):
        h = self.hparams
        if stage == sb.Stage.TRAIN:
            self.train_loss = stage_loss
            return
        cer = self.ed_chars / max(1, self.n_chars)
        wer = self.ed_words / max(1, self.n_words)
        h.log(
            f"epoch {epoch} train_loss {self.train_loss:.3f} valid_loss {stage_loss:.3f} "
            f"dev CER {cer:.3%} WER {wer:.3%} elapsed {time.time() - h.budget.start:.0f}s"
        )
        meta = {
            "epoch": epoch,
            "dev_cer": cer,
            "dev_wer": wer,
            "step": getattr(self, "n_steps_done", 0),
            "elapsed_s": time.time() - h.budget.start,
        }
        save_checkpoint(self, h.ckpt_dir / f"epoch{epoch}.pt", meta)
        save_checkpoint(self, h.ckpt_dir / "latest.pt", meta)
        self._last_save = time.time()


def _edits(ref, hyp) -> int:
    d = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(hyp) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (ref[i - 1] != hyp[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(hyp)]


def save_checkpoint(brain, path: Path, meta: dict):
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "model": brain.modules.model.state_dict(),
            "optimizer": brain.optimizer.state_dict(),
            "meta": meta,
            "model_kwargs": brain.hparams.model_kwargs,
        },
        tmp,
    )
    tmp.replace(path)


class _Epochs:
    """Epoch counter that ends when the time budget is spent."""

    def __init__(self, budget: TimeBudget, max_epochs: int):
        self.budget, self.max_epochs, self.current = budget, max_epochs, 0

    def __iter__(self):
        while self.current < self.max_epochs and not self.budget.over:
            self.current += 1
            yield self.current


def train(
    corpus_dir: Path,
    ckpt_dir: Path,
    budget_s: float,
    max_epochs: int = 100,
    peak_lr: float = 1.5e-3,
    warmup_steps: int = 300,
    max_batch_s: float = 48.0,
    threads: int = 2,
    resume: Path | None = None,
    log=print,
    model_kwargs=None,
) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    random.seed(0)
    corpus_dir, ckpt_dir = Path(corpus_dir), Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    train_rows = [r for m in sorted(corpus_dir.glob("train*.csv")) for r in read_manifest(m)]
    dev_rows = read_manifest(corpus_dir / "dev.csv")
    log(f"train {len(train_rows)} utts {sum(r['duration'] for r in train_rows) / 3600:.2f} h")
    budget = TimeBudget(budget_s)
    model_kwargs = dict(model_kwargs or {})
    model = ConformerCTCEncoder(n_tokens=len(ALPHABET) + 1, **model_kwargs)
    if resume:
        state = torch.load(resume, map_location="cpu")
        model.load_state_dict(state["model"])
        log(f"resumed weights from {resume}")
    log(f"params {sum(p.numel() for p in model.parameters())}")
    train_loader = torch.utils.data.DataLoader(
        WavDataset(train_rows),
        collate_fn=collate,
        num_workers=0,
        batch_sampler=BucketSampler([r["duration"] for r in train_rows], max_batch_s, budget),
    )
    dev_loader = torch.utils.data.DataLoader(
        WavDataset(dev_rows),
        collate_fn=collate,
        num_workers=0,
        batch_sampler=BucketSampler([r["duration"] for r in dev_rows], 120.0, None),
    )
    hparams = {
        "peak_lr": peak_lr,
        "warmup_steps": warmup_steps,
        "budget": budget,
        "ckpt_dir": ckpt_dir,
        "save_every_s": 600,
        "log": log,
        "model_kwargs": model_kwargs,
    }
    brain = CTCBrain(
        modules={"model": model},
        opt_class=lambda params: torch.optim.AdamW(params, lr=peak_lr, weight_decay=1e-3),
        hparams=hparams,
        run_opts={
            "device": "cuda" if torch.cuda.is_available() else "cpu",
            "max_grad_norm": 5.0,
            "noprogressbar": True,
        },
    )
    epochs = _Epochs(budget, max_epochs)
    brain.fit(epochs, train_loader, dev_loader)
    final = {
        "epochs": epochs.current,
        "wall_s": round(time.time() - budget.start),
        "steps": getattr(brain, "n_steps_done", 0),
        "train_hours": sum(r["duration"] for r in train_rows) / 3600,
    }
    (ckpt_dir / "train_summary.json").write_text(json.dumps(final, indent=2))
    log(f"done {final}")
    return final


if __name__ == "__main__":
    import argparse
    import logging
    import sys

    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", default="/work/starter-build/corpus")
    p.add_argument("--ckpt", default="/work/starter-build/ckpt")
    p.add_argument("--budget-s", type=float, required=True)
    p.add_argument("--max-epochs", type=int, default=100)
    a = p.parse_args()

    def _log(msg):
        print(time.strftime("%H:%M:%S"), msg, flush=True)
        sys.stdout.flush()

    train(Path(a.corpus), Path(a.ckpt), a.budget_s, a.max_epochs, log=_log)
