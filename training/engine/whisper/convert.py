"""Whisper weights between the two copies of a model directory.

CTranslate2 (`ctranslate2/`) serves and aligns; Hugging Face (`pytorch/`) is what SpeechBrain
fine-tunes. A base model may arrive in either layout (the bundled tiny.en is CTranslate2 only),
so both directions are needed:

- `ctranslate2_to_huggingface` reads `model.bin` with a plain parser of CTranslate2's binary
  format (CTranslate2 itself can only run a model, not give its weights back) and writes a
  directory that `from_pretrained` and SpeechBrain load offline (its files: `hf_files`);
- `huggingface_to_ctranslate2` is CTranslate2's own converter, which is the reference for the
  layout, so a round trip gives back the same float16 weights bit for bit.

The binary format is written by `ctranslate2/specs/model_spec.py` (`ModelSpec._serialize`):
version, spec name, revision, variable count; per variable its name, rank, shape, dtype id,
byte count and data; then the aliases. Strings are a uint16 length and UTF-8 bytes with a NUL.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from .hf_files import _write_huggingface

# `_dtype_to_type_id` in model_spec.py: the order of CTranslate2's DataType enum.
_DTYPES: dict[int, np.dtype] = {
    0: np.dtype("<f4"),
    1: np.dtype("i1"),
    2: np.dtype("<i2"),
    3: np.dtype("<i4"),
    4: np.dtype("<f2"),
    5: np.dtype("<u2"),  # bfloat16: numpy has none, widened to float32 after reading
}
_BINARY_VERSIONS = range(2, 7)  # version 1 had no spec name; 6 is the newest CTranslate2 writes
_WHISPER_REVISION = 3


def read_ctranslate2(model_bin: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Variables and aliases of a CTranslate2 Whisper `model.bin`, as stored (float16 stays float16,
    int8 weights come with their `*_scale`; bfloat16 is widened to float32).

    Every read is bounds-checked so that a partly downloaded or cut file says so, instead of
    failing deep inside numpy or, worse, loading garbage."""
    try:
        data = Path(model_bin).read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"cannot read {model_bin}: {exc}") from exc
    reader = _Reader(data, Path(model_bin))

    version = reader.unpack("<I", "the format version")
    if version not in _BINARY_VERSIONS:
        raise ModelLoadError(f"{model_bin}: CTranslate2 binary format version {version} is not supported")
    spec = reader.string("the spec name")
    if spec != "WhisperSpec":
        raise ModelLoadError(f"{model_bin} holds a {spec!r} model, not a Whisper model (WhisperSpec)")
    revision = reader.unpack("<I", "the spec revision")
    if revision > _WHISPER_REVISION:
        raise ModelLoadError(
            f"{model_bin}: WhisperSpec revision {revision} is newer than this converter knows "
            f"({_WHISPER_REVISION})"
        )

    count = reader.unpack("<I", "the variable count")
    variables: dict[str, np.ndarray] = {}
    for index in range(count):
        where = f"variable {index + 1} of {count}"
        name = reader.string(f"the name of {where}")
        where = f"{where} ({name})"
        rank = reader.unpack("<B", f"the rank of {where}")
        if rank > 8:
            raise ModelLoadError(f"{model_bin} is corrupt: {where} has rank {rank}")
        shape = reader.unpack(f"<{rank}I", f"the shape of {where}", many=True)
        dtype_id = reader.unpack("<B", f"the type of {where}")
        if dtype_id not in _DTYPES:
            raise ModelLoadError(f"{model_bin} is corrupt: {where} has unknown type id {dtype_id}")
        dtype = _DTYPES[dtype_id]
        num_bytes = reader.unpack("<I", f"the size of {where}")
        if num_bytes != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
            raise ModelLoadError(
                f"{model_bin} is corrupt: {where} claims {num_bytes} bytes for shape {shape}"
            )
        array = np.frombuffer(reader.take(num_bytes, f"the data of {where}"), dtype=dtype).reshape(shape)
        if dtype_id == 5:
            array = (array.astype(np.uint32) << 16).view(np.float32)
        variables[name] = array

    aliases: dict[str, str] = {}
    for index in range(reader.unpack("<I", "the alias count")):
        alias = reader.string(f"alias {index + 1}")
        target = reader.string(f"the target of alias {index + 1} ({alias})")
        if target not in variables:
            raise ModelLoadError(f"{model_bin} is corrupt: alias {alias} points at missing {target}")
        aliases[alias] = target
    return variables, aliases


def ctranslate2_weights_equal(dir_a: Path, dir_b: Path) -> bool:
    """Whether two CTranslate2 Whisper directories hold the same weights: the same tensors with
    the same types and values (aliases resolved), and equal spec flags where both have them.

    Flags only one side has are ignored: newer CTranslate2 versions write more of them
    (e.g. `decoder/scale_alibi`), with defaults that do not change a Whisper model."""
    a, b = (_resolved(*read_ctranslate2(Path(d) / "model.bin")) for d in (dir_a, dir_b))
    tensors_a = {name for name, value in a.items() if value.ndim}
    tensors_b = {name for name, value in b.items() if value.ndim}
    return tensors_a == tensors_b and all(
        a[name].dtype == b[name].dtype and np.array_equal(a[name], b[name]) for name in a.keys() & b.keys()
    )


def ctranslate2_to_huggingface(ct2_dir: Path, out_dir: Path) -> None:
    """Write a Hugging Face Whisper directory (float32 safetensors, configs, tokenizer and
    feature-extractor files) from a CTranslate2 one, replacing `out_dir` only once complete.

    Dimensions come from the weight shapes and the stored head counts, so any Whisper size
    converts; the token ids come from the tokenizer, and the decoding rules (suppressed tokens,
    alignment heads) from CTranslate2's `config.json`."""
    ct2_dir, out_dir = Path(ct2_dir), Path(out_dir)
    tokenizer_path = ct2_dir / "tokenizer.json"
    if not tokenizer_path.is_file():
        # The BPE merges are nowhere else: vocabulary.txt alone cannot rebuild the tokenizer.
        raise ModelLoadError(f"{ct2_dir} has no tokenizer.json")
    tokenizer = _read_json(tokenizer_path)
    # Without config.json the decoding rules fall back to Whisper's defaults.
    ct2_config = _read_json(ct2_dir / "config.json") if (ct2_dir / "config.json").is_file() else {}

    weights = _resolved(*read_ctranslate2(ct2_dir / "model.bin"))
    state, dims = _huggingface_state(weights, ct2_dir)
    _replace_dir(out_dir, lambda tmp: _write_huggingface(tmp, state, dims, tokenizer, ct2_config))


def huggingface_to_ctranslate2(hf_dir: Path, out_dir: Path, quantization: str = "int8") -> None:
    """Convert with CTranslate2's own converter (the reference for its layout), adding the
    tokenizer and feature-extractor files faster-whisper looks for next to `model.bin`.
    `out_dir` is replaced only once the conversion is complete."""
    from ctranslate2.converters import TransformersConverter

    hf_dir = Path(hf_dir)
    extras = [name for name in ("tokenizer.json", "preprocessor_config.json") if (hf_dir / name).is_file()]

    def write(tmp: Path) -> None:
        TransformersConverter(str(hf_dir), copy_files=extras).convert(
            str(tmp), quantization=quantization, force=True
        )

    _replace_dir(Path(out_dir), write)


class _Reader:
    """Sequential reads from the file's bytes that name what was cut when the file ends early."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = memoryview(data)
        self.path = path
        self.offset = 0

    def take(self, size: int, what: str) -> memoryview:
        end = self.offset + size
        if end > len(self.data):
            raise ModelLoadError(
                f"{self.path} is truncated (incomplete download?): it ends at byte {len(self.data):,}, "
                f"inside {what}, which needs {end - len(self.data):,} bytes more"
            )
        chunk = self.data[self.offset : end]
        self.offset = end
        return chunk

    def unpack(self, fmt: str, what: str, many: bool = False):
        values = struct.unpack(fmt, self.take(struct.calcsize(fmt), what))
        return values if many else values[0]

    def string(self, what: str) -> str:
        raw = self.take(self.unpack("<H", what), what)
        try:
            return bytes(raw).rstrip(b"\0").decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModelLoadError(f"{self.path} is corrupt: {what} is not UTF-8") from exc


def _resolved(variables: dict[str, np.ndarray], aliases: dict[str, str]) -> dict[str, np.ndarray]:
    """Aliases filled in and quantized weights scaled back to float32 (lossy only for int8/int16
    models, which is why the copies this project keeps for training are float16 or float32)."""
    values = dict(variables)
    for alias, target in aliases.items():
        values[alias] = variables[target]
        # An aliased int8 weight (the output projection) shares its target's scale too.
        if f"{target}_scale" in variables:
            values.setdefault(f"{alias}_scale", variables[f"{target}_scale"])
    out: dict[str, np.ndarray] = {}
    for name, value in values.items():
        if name.endswith("_scale") and name.removesuffix("_scale") in values:
            continue
        scale = values.get(f"{name}_scale")
        if scale is not None:
            # int8 scales are per output row; int16 has one scale for the whole weight.
            scale = scale.astype(np.float32).reshape((-1,) + (1,) * (value.ndim - 1) if scale.ndim else ())
            value = value.astype(np.float32) / scale
        out[name] = value
    return out


def _huggingface_state(weights: dict[str, np.ndarray], source: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Hugging Face `WhisperForConditionalGeneration` tensors (float32) and the model's
    dimensions, mapped back from the names CTranslate2's WhisperLoader writes."""

    def get(name: str) -> np.ndarray:
        if name not in weights:
            raise ModelLoadError(f"{source}/model.bin has no {name}: not a complete Whisper model")
        return weights[name]

    def f32(name: str) -> np.ndarray:
        return np.ascontiguousarray(get(name), dtype=np.float32)

    def layers(stack: str) -> int:
        # `encoder/layer_norm` also starts with `layer_`: only numbered layers count.
        return len({m.group(1) for n in weights if (m := re.match(rf"{stack}/layer_(\d+)/", n))})

    d_model, n_mels = get("encoder/conv1/weight").shape[:2]
    vocab_size = get("decoder/embeddings/weight").shape[0]
    dims = {
        "vocab_size": int(vocab_size),
        "num_mel_bins": int(n_mels),
        "d_model": int(d_model),
        "encoder_layers": layers("encoder"),
        "decoder_layers": layers("decoder"),
        # Whisper's heads are 64 wide; older specs did not store the count.
        "encoder_attention_heads": int(weights.get("encoder/num_heads", d_model // 64)),
        "decoder_attention_heads": int(weights.get("decoder/num_heads", d_model // 64)),
        "encoder_ffn_dim": int(get("encoder/layer_0/ffn/linear_0/weight").shape[0]),
        "decoder_ffn_dim": int(get("decoder/layer_0/ffn/linear_0/weight").shape[0]),
        "max_source_positions": int(get("encoder/position_encodings/encodings").shape[0]),
        "max_target_positions": int(get("decoder/position_encodings/encodings").shape[0]),
    }

    state: dict[str, np.ndarray] = {}

    def linear(hf: str, ct2: str) -> None:
        state[f"{hf}.weight"] = f32(f"{ct2}/weight")
        state[f"{hf}.bias"] = f32(f"{ct2}/bias")

    def norm(hf: str, ct2: str) -> None:
        state[f"{hf}.weight"] = f32(f"{ct2}/gamma")
        state[f"{hf}.bias"] = f32(f"{ct2}/beta")

    def split(hf: str, names: tuple[str, ...], ct2: str) -> None:
        weight, bias = f32(f"{ct2}/weight"), f32(f"{ct2}/bias")
        for name, w, b in zip(names, np.split(weight, len(names)), np.split(bias, len(names)), strict=True):
            state[f"{hf}.{name}.weight"] = np.ascontiguousarray(w)
            # Hugging Face's k_proj has no bias; CTranslate2 fills zeros there. A key bias adds
            # the same amount to every score of a query, which softmax ignores, so dropping a
            # nonzero one would not change the model either.
            if name != "k_proj":
                state[f"{hf}.{name}.bias"] = np.ascontiguousarray(b)

    def block(hf: str, ct2: str, cross: bool) -> None:
        split(f"{hf}.self_attn", ("q_proj", "k_proj", "v_proj"), f"{ct2}/self_attention/linear_0")
        linear(f"{hf}.self_attn.out_proj", f"{ct2}/self_attention/linear_1")
        norm(f"{hf}.self_attn_layer_norm", f"{ct2}/self_attention/layer_norm")
        if cross:
            split(f"{hf}.encoder_attn", ("q_proj",), f"{ct2}/attention/linear_0")
            split(f"{hf}.encoder_attn", ("k_proj", "v_proj"), f"{ct2}/attention/linear_1")
            linear(f"{hf}.encoder_attn.out_proj", f"{ct2}/attention/linear_2")
            norm(f"{hf}.encoder_attn_layer_norm", f"{ct2}/attention/layer_norm")
        linear(f"{hf}.fc1", f"{ct2}/ffn/linear_0")
        linear(f"{hf}.fc2", f"{ct2}/ffn/linear_1")
        norm(f"{hf}.final_layer_norm", f"{ct2}/ffn/layer_norm")

    linear("model.encoder.conv1", "encoder/conv1")
    linear("model.encoder.conv2", "encoder/conv2")
    state["model.encoder.embed_positions.weight"] = f32("encoder/position_encodings/encodings")
    norm("model.encoder.layer_norm", "encoder/layer_norm")
    for i in range(dims["encoder_layers"]):
        block(f"model.encoder.layers.{i}", f"encoder/layer_{i}", cross=False)

    state["model.decoder.embed_tokens.weight"] = f32("decoder/embeddings/weight")
    state["model.decoder.embed_positions.weight"] = f32("decoder/position_encodings/encodings")
    norm("model.decoder.layer_norm", "decoder/layer_norm")
    for i in range(dims["decoder_layers"]):
        block(f"model.decoder.layers.{i}", f"decoder/layer_{i}", cross=True)

    if "decoder/projection/bias" in weights and np.any(weights["decoder/projection/bias"]):
        raise ModelLoadError(f"{source}: the output projection has a bias, which Whisper does not have")
    projection = f32("decoder/projection/weight")
    dims["tie_word_embeddings"] = bool(np.array_equal(projection, state["model.decoder.embed_tokens.weight"]))
    if not dims["tie_word_embeddings"]:
        state["proj_out.weight"] = projection
    return state, dims


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}") from exc


def _replace_dir(target: Path, write: Callable[[Path], None]) -> None:
    """Build the new directory next to `target` and swap it in, so a failed or interrupted
    conversion never leaves a half-written model where a good one was."""
    token = uuid.uuid4().hex[:8]
    tmp = target.with_name(f".{target.name}.new-{token}")
    old = target.with_name(f".{target.name}.old-{token}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp.mkdir()
    try:
        write(tmp)
        if target.exists():
            target.rename(old)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not target.exists():
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
