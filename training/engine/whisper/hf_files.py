"""The files of a Hugging Face Whisper directory written from converted weights: safetensors,
model and generation configs, feature-extractor settings, and the tokenizer in both its
tokenizer.json and older vocab.json/merges.txt forms (`convert.ctranslate2_to_huggingface`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError

_ENGLISH_ONLY_VOCAB = 51864  # multilingual vocabularies are 51865 (v1, v2) or 51866 (v3)
_SAMPLING_RATE = 16000
_HOP_LENGTH = 160
_CHUNK_SECONDS = 30


def _write_huggingface(
    out: Path, state: dict[str, np.ndarray], dims: dict, tokenizer: dict, ct2: dict
) -> None:
    import transformers
    from safetensors.numpy import save_file

    ids = _write_tokenizer(out, tokenizer, dims["vocab_size"])
    eot, sot = ids["<|endoftext|>"], ids["<|startoftranscript|>"]
    multilingual = dims["vocab_size"] > _ENGLISH_ONLY_VOCAB
    suppress = ct2.get("suppress_ids") or []
    begin_suppress = ct2.get("suppress_ids_begin") or [220, eot]
    # CTranslate2's own default when the source named none: every head of the last half.
    layers, heads = dims["decoder_layers"], dims["decoder_attention_heads"]
    alignment_heads = ct2.get("alignment_heads") or [
        [layer, head] for layer in range(layers // 2, layers) for head in range(heads)
    ]

    # `format: pt` is what transformers checks before it loads a safetensors file.
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    transformers.WhisperConfig(
        **dims,
        architectures=["WhisperForConditionalGeneration"],
        bos_token_id=sot,
        decoder_start_token_id=sot,
        eos_token_id=eot,
        pad_token_id=eot,
        suppress_tokens=suppress,
        begin_suppress_tokens=begin_suppress,
        dtype="float32",
    ).save_pretrained(out)

    generation = {
        "alignment_heads": alignment_heads,
        "begin_suppress_tokens": begin_suppress,
        "bos_token_id": sot,
        "decoder_start_token_id": sot,
        "eos_token_id": eot,
        "pad_token_id": eot,
        "is_multilingual": multilingual,
        "max_initial_timestamp_index": 50,
        "max_length": dims["max_target_positions"],
        "no_timestamps_token_id": ids["<|notimestamps|>"],
        "prev_sot_token_id": ids["<|startofprev|>"],
        "suppress_tokens": suppress,
    }
    if multilingual:
        # From the tokenizer, not CTranslate2's lang_ids, which can be stale (tiny.en's is).
        generation["lang_to_id"] = {
            token: token_id
            for token, token_id in ids.items()
            if re.fullmatch(r"<\|[a-z]{2,3}(_[A-Za-z]+)?\|>", token) and sot < token_id < ids["<|translate|>"]
        }
        generation["task_to_id"] = {"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]}
    transformers.GenerationConfig(**generation).save_pretrained(out)

    chunk_samples = _CHUNK_SECONDS * _SAMPLING_RATE
    _write_json(
        out / "preprocessor_config.json",
        {
            "chunk_length": _CHUNK_SECONDS,
            "feature_extractor_type": "WhisperFeatureExtractor",
            "feature_size": dims["num_mel_bins"],
            "hop_length": _HOP_LENGTH,
            "n_fft": 400,
            "n_samples": chunk_samples,
            "nb_max_frames": chunk_samples // _HOP_LENGTH,
            "padding_side": "right",
            "padding_value": 0.0,
            "processor_class": "WhisperProcessor",
            "return_attention_mask": False,
            "sampling_rate": _SAMPLING_RATE,
        },
    )


def _write_tokenizer(out: Path, tokenizer: dict, vocab_size: int) -> dict[str, int]:
    """tokenizer.json plus the files of the older vocab.json/merges.txt tokenizer, with one
    `<|t.tt|>` token per timestamp id, as the current openai/whisper-* repositories have.

    Without the timestamp tokens SpeechBrain's `timestamp_index` would be the unknown token.
    They stay non-special: transformers puts the first timestamp right after the last special
    token (`all_special_ids[-1] + 1`). Returns the id of every added token."""
    model = tokenizer.get("model") or {}
    if model.get("type") != "BPE":
        raise ModelLoadError("tokenizer.json does not hold a BPE tokenizer")
    vocab: dict[str, int] = model["vocab"]
    added = sorted(tokenizer.get("added_tokens", []), key=lambda token: token["id"])
    ids = {token["content"]: token["id"] for token in added}
    for needed in ("<|endoftext|>", "<|startoftranscript|>", "<|notimestamps|>", "<|startofprev|>"):
        if needed not in ids:
            raise ModelLoadError(f"tokenizer.json has no {needed} token: not a Whisper tokenizer")

    next_id = max([*vocab.values(), *ids.values()]) + 1
    if next_id > vocab_size:
        raise ModelLoadError(f"the tokenizer has {next_id} tokens but the model only {vocab_size}")
    if "<|0.00|>" not in ids:
        for i in range(vocab_size - next_id):
            content = "<|%.2f|>" % (i * 0.02)
            added.append(_added_token(next_id + i, content, special=False))
            ids[content] = next_id + i
    tokenizer = {**tokenizer, "added_tokens": added}

    specials = [
        token["content"] for token in added if token["special"] and token["content"] != "<|endoftext|>"
    ]
    named = {key: "<|endoftext|>" for key in ("bos_token", "eos_token", "pad_token", "unk_token")}
    _write_json(out / "tokenizer.json", tokenizer, indent=None)
    _write_json(out / "vocab.json", vocab)
    merges = [merge if isinstance(merge, str) else " ".join(merge) for merge in model.get("merges", [])]
    (out / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    _write_json(
        out / "added_tokens.json", {t["content"]: t["id"] for t in added if t["content"] not in vocab}
    )
    _write_json(out / "special_tokens_map.json", {"additional_special_tokens": specials, **named})
    _write_json(
        out / "tokenizer_config.json",
        {
            "add_bos_token": False,
            "add_prefix_space": False,
            "added_tokens_decoder": {str(t["id"]): {k: v for k, v in t.items() if k != "id"} for t in added},
            "additional_special_tokens": specials,
            **named,
            # transformers 5 ignores (and warns about) True for BPE; with 4.x it would eat the space
            # before punctuation that Whisper wrote on purpose.
            "clean_up_tokenization_spaces": False,
            "errors": "replace",
            "model_max_length": 1024,
            "processor_class": "WhisperProcessor",
            "return_attention_mask": False,
            "tokenizer_class": "WhisperTokenizer",
        },
    )
    return ids


def _added_token(token_id: int, content: str, special: bool) -> dict:
    return {
        "id": token_id,
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": not special,
        "special": special,
    }


def _write_json(path: Path, value: object, indent: int | None = 2) -> None:
    path.write_text(json.dumps(value, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")
