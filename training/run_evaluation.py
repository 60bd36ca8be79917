"""The evaluation stage of a training run (training.pipeline): the test split as the custom
model serves it, everyday speech on the anchor set (the regression gate), the model's phrase
list, and a new version against the active one. Each returns what the run's evaluation stores."""

from pathlib import Path

import soundfile as sf
from django.conf import settings
from django.core.files.storage import default_storage

from custom_models.models import CustomModel
from custom_models.vocabulary import vocabulary_of_model
from training import evaluation, metrics
from training.models import TrainingRun
from training.prepare import PreparedData
from training.selectors import trained_model_path


def versus_active(
    engine,
    model: CustomModel,
    out_dir: Path,
    data: PreparedData,
    custom_hyps,
    language: str,
    work_dir: Path,
    log,
) -> dict | None:
    """A new version against the active one, on the union of both versions' test splits (the
    active version's from its stored evaluation clips), both scored here with the same normaliser.
    None for a model's first version."""
    active = TrainingRun.objects.filter(
        custom_model=model, version=model.active_version, status=TrainingRun.Status.SUCCEEDED
    ).first()
    active_dir = trained_model_path(model.model_path) if model.model_path else None
    if active is None or active_dir is None or not active_dir.is_dir():
        return None
    seen = {(row["transcript"], round(row["duration"], 1)) for row in data.test}
    earlier = []
    clips = work_dir / "active-test"
    clips.mkdir(parents=True, exist_ok=True)
    for utterance in active.utterances.order_by("position"):
        if (utterance.reference, round(utterance.seconds, 1)) in seen or not default_storage.exists(
            utterance.clip
        ):
            continue
        wav = clips / f"{utterance.position:04d}.wav"
        with default_storage.open(utterance.clip, "rb") as handle:
            samples, rate = sf.read(handle, dtype="int16")
        sf.write(str(wav), samples, rate, subtype="PCM_16")
        earlier.append({"wav": str(wav), "transcript": utterance.reference})
    references = [row["transcript"] for row in data.test + earlier]
    wavs = [row["wav"] for row in data.test + earlier]
    new_wer, _ = metrics.error_rates(
        references,
        list(custom_hyps) + engine.recognise(out_dir, [r["wav"] for r in earlier], language=language),
    )
    active_wer, _ = metrics.error_rates(references, engine.recognise(active_dir, wavs, language=language))
    versus = {
        "active_version": model.active_version,
        "utterances": len(references),
        "from_active_test_split": len(earlier),
        "active_wer": round(active_wer, 2),
        "new_wer": round(new_wer, 2),
        "passed": round(new_wer, 2) <= round(active_wer, 2),
    }
    log(
        f"against the active version {model.active_version} on both versions' test splits "
        f"({len(references)} utterances, {len(earlier)} from version {model.active_version}'s): "
        f"WER {active_wer:.1f}% (active) -> {new_wer:.1f}% (new)",
        level="info" if versus["passed"] else "warning",
    )
    return versus


def phrase_list_on_test_split(
    engine,
    model: CustomModel,
    out_dir: Path,
    data: PreparedData,
    custom_hyps,
    terms: list[str],
    language,
    log,
):
    """The model's phrase list on the test split (evaluation.phrase_list_effect); None without one.

    `terms` are the key terms the test split's evaluation mined (evaluate_test_split), not mined again."""
    phrases = vocabulary_of_model(model=model).phrases
    if not phrases:
        return None
    try:
        with_list = engine.recognise(
            out_dir, [r["wav"] for r in data.test], language=language, phrases=phrases
        )
    except engine.PhrasesUnsupported as exc:
        return {"phrases": len(phrases), "unsupported": str(exc)}
    references = [r["transcript"] for r in data.test]
    effect = evaluation.phrase_list_effect(phrases, terms, references, custom_hyps, with_list)
    log(
        f"phrase list ({len(phrases)} phrases) on the test split: key-term recall "
        f"{effect['recall']['without']}% -> {effect['recall']['with']}%, "
        f"WER {effect['wer']['without']:.1f}% -> {effect['wer']['with']:.1f}%, "
        f"{effect['false_insertions']['with']} listed phrase(s) written where "
        f"nobody said them ({effect['false_insertions']['without']} without the list)"
    )
    return effect


def worse_than_active(versus: dict | None) -> str:
    if versus is None or versus["passed"]:
        return ""
    return (
        f"it scored {versus['new_wer']:.1f}% WER against version {versus['active_version']}'s "
        f"{versus['active_wer']:.1f}% on both versions' test splits ({versus['utterances']} utterances). "
        "An admin or sysop can activate it anyway."
    )


def evaluate_test_split(
    engine, base_dir, out_dir, data: PreparedData, base_hyps, custom_hyps, language: str, log
) -> tuple[dict, list]:
    """The stored evaluation of the test split: alignments, flags, totals and key-term recall.

    The words of the custom transcript that was scored, timed by forced alignment with the custom
    model (an encoder pass a clip, where decoding it again to time it cost twice as much), against
    the voice activity detector's speech find words written over silence. A clip that is speech
    from end to end needs no timing: no word of it can sit over silence."""
    heard = []
    for row, base_text, custom_text in zip(data.test, base_hyps, custom_hyps, strict=True):
        regions = engine.speech_regions(row["wav"])
        written, words = custom_text.split(), []
        if written and not evaluation.speech_covers(regions, row["duration"]):
            timings, _ = engine.align_words(out_dir, row["wav"], written, language=language)
            words = [(w, t["start"], t["end"]) for w, t in zip(written, timings, strict=True) if t]
        heard.append(
            evaluation.UtteranceTranscripts(
                reference=row["transcript"],
                base_text=base_text,
                custom_text=custom_text,
                custom_words=words,
                speech_regions=regions,
            )
        )
    terms = evaluation.mine_key_terms(
        [row["transcript"] for row in data.train], is_common=engine.common_words(base_dir, language=language)
    )
    report, rows = evaluation.build_evaluation(heard, terms=terms)
    recall, items = report["terms"]["recall"], report["terms"]["items"]
    if items:
        log(
            f"key-term recall {recall['base']:.0f}% -> {recall['custom']:.0f}% "
            f"({len(items)} of {len(terms)} key terms said in the test split)"
        )
    totals = report["totals"]
    if totals["flagged"]:
        log(f"{totals['flagged']} test utterance(s) flagged: {totals['flags']}", level="warning")
    return report, [{**row, "wav": data.test[row["position"]]["wav"]} for row in rows]


def evaluate_anchor(engine, base_dir, out_dir, rows: list[dict], language: str, log) -> dict:
    """Base and custom on the base's everyday anchor set, in the model's language (training/anchor.py)."""
    wavs = [row["wav"] for row in rows]
    base_hyps = engine.recognise(base_dir, wavs, language=language)
    custom_hyps = engine.recognise(out_dir, wavs, language=language)
    speech = [i for i, row in enumerate(rows) if row["text"]]
    silent = [i for i, row in enumerate(rows) if not row["text"]]
    references = [rows[i]["text"] for i in speech]
    base_wer, _ = metrics.error_rates(references, [base_hyps[i] for i in speech])
    custom_wer, _ = metrics.error_rates(references, [custom_hyps[i] for i in speech])
    change = custom_wer - base_wer
    anchor = {
        "utterances": len(speech),
        "seconds": round(sum(rows[i]["duration"] for i in speech), 1),
        "base_wer": round(base_wer, 2),
        "custom_wer": round(custom_wer, 2),
        "change": round(change, 2),
        "max_regression": settings.TRAINING_MAX_REGRESSION,
        "passed": change <= settings.TRAINING_MAX_REGRESSION,
        # Words written where nobody speaks (room tone, a hum).
        "non_speech": {
            "clips": len(silent),
            "base_words": sum(len(base_hyps[i].split()) for i in silent),
            "custom_words": sum(len(custom_hyps[i].split()) for i in silent),
        },
    }
    log(
        f"everyday speech (anchor set, {len(speech)} sentences): WER {base_wer:.1f}% -> {custom_wer:.1f}% "
        f"({change:+.1f} points; the limit is +{settings.TRAINING_MAX_REGRESSION:g})",
        level="info" if anchor["passed"] else "warning",
    )
    return anchor


def regression(anchor: dict | None) -> str:
    """Why the gate keeps the model disabled, or "" when everyday speech held up (or was not measured)."""
    if anchor is None or anchor["passed"]:
        return ""
    return (
        f"General speech got worse: WER on everyday speech went from {anchor['base_wer']:.1f}% to "
        f"{anchor['custom_wer']:.1f}% ({anchor['change']:+.1f} points, more than the "
        f"{anchor['max_regression']:g} allowed). An admin or sysop can enable it anyway."
    )
