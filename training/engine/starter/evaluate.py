"""Evaluate a packaged model on the held-out test sets (WER/CER, greedy and
beam+LM), tune the LM weight on the dev set, and record results in model.json."""

from __future__ import annotations

import time
from pathlib import Path

import jiwer
import torch

from ..ctc import recognizer as inference
from ..ctc.decoding import BeamDecoder, greedy_decode
from .package import read_meta, write_meta
from .synth import read_manifest


def _words(spans):
    return " ".join(s.word for s in spans).lower().strip()


def emissions(model, rows, limit=None):
    import soundfile as sf

    out, audio_s, t0 = [], 0.0, time.time()
    for r in rows[:limit]:
        wav, _ = sf.read(r["wav"], dtype="float32")
        audio_s += len(wav) / 16000
        out.append((r["text"].lower(), model.log_probs(wav)))
    return out, audio_s, time.time() - t0


def score(pairs):
    refs = [p[0] for p in pairs]
    hyps = [p[1] for p in pairs]
    return {"wer": round(jiwer.wer(refs, hyps), 4), "cer": round(jiwer.cer(refs, hyps), 4)}


def tune(model_dir: Path, dev, grid_lm=(0.3, 0.5, 0.7, 0.9), grid_ws=(0.0, 1.0, 2.0), log=print):
    best = None
    for lw in grid_lm:
        for ws in grid_ws:
            dec = BeamDecoder(model_dir, beam_size=32, lm_weight=lw, word_score=ws)
            res = score([(ref, _words(dec.decode(lp))) for ref, lp in dev])
            log(f"tune lm_weight={lw} word_score={ws}: {res}")
            if best is None or res["wer"] < best[0]["wer"]:
                best = (res, lw, ws)
    return {"lm_weight": best[1], "word_score": best[2]}


def evaluate(model_dir: Path, corpus_dir: Path, do_tune: bool = True, log=print) -> dict:
    torch.set_num_threads(2)
    model_dir, corpus_dir = Path(model_dir), Path(corpus_dir)
    inference.clear_cache()
    model = inference.load_model(model_dir)
    meta = read_meta(model_dir)
    if do_tune:
        dev, _, _ = emissions(model, read_manifest(corpus_dir / "dev.csv"), limit=120)
        meta["decoder"].update(tune(model_dir, dev, log=log))
        write_meta(model_dir, meta)
    beam = BeamDecoder(model_dir, **meta["decoder"])
    results = {}
    for name in ("test_heldout", "test_everyday"):
        rows = read_manifest(corpus_dir / f"{name}.csv")
        em, audio_s, enc_s = emissions(model, rows)
        t0 = time.time()
        g = score([(ref, _words(greedy_decode(lp, model.labels, model.blank))) for ref, lp in em])
        g_s = time.time() - t0
        t0 = time.time()
        b = score([(ref, _words(beam.decode(lp))) for ref, lp in em])
        b_s = time.time() - t0
        results[name] = {
            "utterances": len(rows),
            "hours": round(audio_s / 3600, 3),
            "voices": sorted({r["voice"] for r in rows}),
            "greedy": g,
            "beam_lm": b,
            "rtf_greedy": round((enc_s + g_s) / audio_s, 4),
            "rtf_beam_lm": round((enc_s + b_s) / audio_s, 4),
        }
        log(f"{name}: {results[name]}")
    meta["evaluation"] = results
    meta["evaluation_note"] = (
        "test_heldout: corpus sentences never used for training or the LM, spoken by "
        "standard espeak-ng en-US voices (en-us, en-us+m1, en-us+f1) at default speed/pitch; "
        "test_everyday: 40 hand-written everyday sentences x the same 3 voices. "
        "Synthetic speech only: real recorded speech will score worse."
    )
    write_meta(model_dir, meta)
    return results
