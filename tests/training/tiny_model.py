"""A tiny, randomly initialised model in the starter's exact layout, for plumbing tests.

It loads and decodes through the same code as any base; what it says is noise.
"""

from pathlib import Path

SENTENCES = [
    "THE PATIENT HAS ATRIAL FIBRILLATION",
    "THE WEATHER IS NICE TODAY",
    "PLEASE CLOSE THE WINDOW",
]
TINY = {
    "d_model": 32,
    "num_layers": 1,
    "nhead": 2,
    "d_ffn": 64,
    "kernel_size": 3,
    "conv_channels": 8,
    "n_mels": 40,
}


def build_tiny_model(out_dir: Path) -> Path:
    import gzip

    import torch

    from training.engine.ctc.modules import ConformerCTCEncoder
    from training.engine.starter.package import package
    from training.engine.starter.text import ALPHABET

    torch.manual_seed(0)
    model = ConformerCTCEncoder(n_tokens=len(ALPHABET) + 1, **TINY)
    checkpoint = out_dir.parent / f"{out_dir.name}.pt"
    torch.save({"model": model.state_dict(), "model_kwargs": TINY}, checkpoint)
    corpus = out_dir.parent / f"{out_dir.name}.txt"
    corpus.write_text("\n".join(SENTENCES) + "\n")
    package(checkpoint, out_dir, corpus, meta={"name": "tiny"}, extra_lexicon=False, log=lambda *_: None)
    with gzip.open(out_dir / "lm_corpus.txt.gz", "wt") as handle:
        handle.write("\n".join(SENTENCES) + "\n")
    checkpoint.unlink()
    corpus.unlink()
    return out_dir
