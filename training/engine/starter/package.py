"""Package a trained checkpoint as a SpeechBrain pretrained-layout directory.

Output files::

    hyperparams.yaml   EncoderASR recipe (encoder = training.engine.ctc.modules.ConformerCTCEncoder)
    encoder.ckpt       fp32 state_dict
    tokenizer.ckpt     speechbrain CTCTextEncoder (index 0 = blank)
    tokens.txt         one label per output index, for the beam decoder ('-' blank, '|' space)
    lexicon.txt.gz     WORD W O R D |  (LM corpus vocabulary + WordNet lemmas)
    lm.arpa.gz         word 3-gram LM (interpolated Kneser-Ney, ARPA); WordNet
                       lemmas not in the corpus enter as count-1 unigrams
    model.json         metadata (filled in further by evaluation)
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import torch

from ..ctc import lm as lm_mod
from .text import ALPHABET

HPARAMS_TEMPLATE = """\
# SpeechBrain pretrained-model recipe written by training.engine.starter.package
# Load with speechbrain.inference.ASR.EncoderASR.from_hparams(source=<this dir>, ...)
sample_rate: 16000
blank_index: 0

encoder: !new:training.engine.ctc.modules.ConformerCTCEncoder
{encoder_kwargs}
tokenizer: !new:speechbrain.dataio.encoder.CTCTextEncoder

decoding_function: !name:speechbrain.decoders.ctc_greedy_decode
    blank_id: 0

modules:
    encoder: !ref <encoder>

pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        encoder: !ref <encoder>
        tokenizer: !ref <tokenizer>
"""


def write_tokenizer(path: Path) -> list[str]:
    from speechbrain.dataio.encoder import CTCTextEncoder

    enc = CTCTextEncoder()
    enc.insert_blank(index=0)
    for c in ALPHABET:
        enc.add_label(c)
    enc.save(str(path))
    return [enc.ind2lab[i] for i in range(len(enc.ind2lab))]


def package(
    checkpoint: Path,
    out_dir: Path,
    lm_corpus: Path,
    meta: dict | None = None,
    lm_order: int = 3,
    extra_lexicon: bool = True,
    log=print,
) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    import inspect

    from ..ctc.modules import ConformerCTCEncoder

    defaults = {
        k: v.default
        for k, v in inspect.signature(ConformerCTCEncoder.__init__).parameters.items()
        if v.default is not inspect.Parameter.empty
    }
    kwargs = {
        **defaults,
        "n_tokens": len(ALPHABET) + 1,
        **state.get("model_kwargs", {}),
        "spec_augment": False,
    }
    model = ConformerCTCEncoder(**kwargs)
    model.load_state_dict(state["model"])
    n_params = sum(p.numel() for p in model.parameters())
    weights = {k: v.float().contiguous() for k, v in state["model"].items()}
    torch.save(weights, out_dir / "encoder.ckpt")
    enc_yaml = "\n".join(f"    {k}: {json.dumps(v)}" for k, v in sorted(kwargs.items()))
    (out_dir / "hyperparams.yaml").write_text(HPARAMS_TEMPLATE.format(encoder_kwargs=enc_yaml))
    labels = write_tokenizer(out_dir / "tokenizer.ckpt")
    tokens = ["-" if i == 0 else ("|" if lab == " " else lab) for i, lab in enumerate(labels)]
    lm_mod.write_tokens(tokens, out_dir / "tokens.txt")

    sentences = [s for s in Path(lm_corpus).read_text().split("\n") if s.strip()]
    t0 = time.time()
    extra = lm_mod.wordnet_lemmas() if extra_lexicon else set()
    lm_info = lm_mod.build_lm(sentences, out_dir / "lm.arpa.gz", order=lm_order, extra_words=sorted(extra))
    vocab = {w for s in sentences for w in s.split()} | extra
    # The LM's text ships with the model: fine-tuning joins a customer's transcripts to it.
    with gzip.GzipFile(out_dir / "lm_corpus.txt.gz", "wb", mtime=0) as handle:
        handle.write(("\n".join(sentences) + "\n").encode("utf-8"))
    n_words = lm_mod.write_lexicon(vocab, out_dir / "lexicon.txt.gz")
    log(f"LM {lm_info} lexicon {n_words} words ({time.time() - t0:.0f}s)")

    info = {
        "name": out_dir.name,
        "language": "en-US",
        "domain": "general",
        "architecture": "Conformer-CTC (characters)",
        "interface": "speechbrain.inference.ASR.EncoderASR",
        "sample_rate": 16000,
        "labels": labels,
        "blank_index": 0,
        "params": n_params,
        "lm": {
            "type": f"word {lm_order}-gram ARPA (interpolated Kneser-Ney)",
            "file": "lm.arpa.gz",
            "ngrams": lm_info["ngrams"],
            "lexicon": "lexicon.txt.gz",
            "lexicon_words": n_words,
            "text": "WordNet examples, fortunes (no medicine), number/date/everyday "
            "templates; held-out test sentences excluded"
            + ("; plus WordNet lemma vocabulary" if extra_lexicon else ""),
        },
        "decoder": {"beam_size": 64, "lm_weight": 0.6, "word_score": 0.0, "beam_threshold": 25.0},
        # Trained on espeak-ng speech of lm_corpus: fine-tuning re-speaks some to rehearse it.
        "rehearsal": {"synthesize": "espeak-ng"},
        "build_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    info.update(meta or {})
    write_meta(out_dir, info)
    return info


def write_meta(out_dir: Path, info: dict) -> None:
    (Path(out_dir) / "model.json").write_text(json.dumps(info, indent=2) + "\n")


def read_meta(out_dir: Path) -> dict:
    return json.loads((Path(out_dir) / "model.json").read_text())
