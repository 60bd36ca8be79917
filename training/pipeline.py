"""One training run, start to finish, as the child process `manage.py run_training` runs it.

Stages and their share of the progress bar: prepare 0-10, evaluate the base
10-15, fine-tune 15-85, the family's own finishing (a CTC model adapts its
language model, a Whisper model exports and checks its serving copy) 85-90,
evaluate the custom model 90-99. A heartbeat thread writes progress every few seconds.
"""

import hashlib
import json
import logging
import shutil
import signal
import threading
import time
from pathlib import Path

import soundfile as sf
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, close_old_connections

from custom_models.models import CustomModel
from custom_models.vocabulary import vocabulary_of_model
from datasets.models import Kind
from datasets.selectors import dataset_file_list, dataset_pairs
from training import evaluation, metrics, synthesis, voices
from training.anchor import anchor_set, speaks_anchor_language
from training.engine.text import language_code as language_code_of
from training.models import TrainingRun
from training.prepare import PreparedData, prepare
from training.selectors import (
    base_model_dir,
    trained_model_path,
    training_run_output_dir,
    training_run_work_dir,
)
from training.services import (
    HANDED_BACK,
    Failure,
    training_checkpoint_prefix,
    training_evaluation_save,
    training_heartbeat,
    training_log_write,
    training_run_fail,
    training_run_succeed,
)
from training.versions import code_version, version_lineage

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5
VALID_SHARE = 0.1
# The share of DATASET_MIN_MINUTES the prepared segments must hold (see _require_enough_speech).
PREPARED_MINIMUM_SHARE = 0.5


class Reporter:
    """Progress, log lines and the stop signal of one run."""

    def __init__(self, run: TrainingRun) -> None:
        self.run = run
        self.model = run.custom_model
        self.progress = 0.0
        # A resumed run's bar stays where the dead trainer left it while this one prepares again and
        # catches up (the checkpoint is at most one epoch behind it).
        self.floor = self.model.training_progress if run.attempts > 1 else 0
        self.stage = "prepare"
        self.stopped = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> "Reporter":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join(timeout=10)

    def _beat(self) -> None:
        while not self._done.wait(HEARTBEAT_SECONDS):
            try:
                if not training_heartbeat(run=self.run, progress=round(max(self.progress, self.floor))):
                    self.stopped = True
            except DatabaseError as exc:
                # A database busy past its timeout: the next beat tries again. Were this thread to
                # end here, the sweeper would fail a healthy run as "stopped responding".
                logger.warning("Heartbeat of run %s not recorded: %s", self.run.pk, exc)
            finally:
                close_old_connections()

    def log(self, message: str, level: str = "info") -> None:
        training_log_write(model=self.model, run=self.run, stage=self.stage, message=message, level=level)

    def enter(self, stage: str, progress: float) -> None:
        self.stage, self.progress = stage, progress


class StorageCheckpoint:
    """The engine's epoch checkpoints of one run, in the project's storage (local files, or S3 in
    the scale profile) so that whichever worker resumes the run reads them. Each epoch end writes
    a new file before the older one goes: a trainer killed mid-write leaves the previous one."""

    def __init__(self, run: TrainingRun) -> None:
        self.prefix = training_checkpoint_prefix(run)

    def _names(self) -> list[str]:
        try:
            return sorted(n for n in default_storage.listdir(self.prefix)[1] if n.endswith(".pt"))
        except FileNotFoundError:
            return []

    def read(self) -> bytes | None:
        names = self._names()
        if not names:
            return None
        with default_storage.open(self.prefix + names[-1], "rb") as handle:
            return handle.read()

    def write(self, data: bytes) -> None:
        older = self._names()
        number = int(older[-1].split("-")[1].split(".")[0]) + 1 if older else 1
        default_storage.save(f"{self.prefix}checkpoint-{number:04d}.pt", ContentFile(data))
        for name in older:
            default_storage.delete(self.prefix + name)


def _base_hypotheses(
    engine, run_: TrainingRun, base_dir: Path, test_rows: list[dict], language, log
) -> list[str]:
    """The base's transcripts of the test split, kept beside the run's checkpoints: a resumed run
    whose test split is the same (same references and lengths) does not decode it again."""
    name = training_checkpoint_prefix(run_) + "base-test.json"
    key = hashlib.sha1(
        json.dumps([[r["transcript"], round(r["duration"], 2)] for r in test_rows] + [str(base_dir)]).encode()
    ).hexdigest()
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            kept = json.loads(handle.read())
        if kept.get("key") == key:
            log("base model's transcripts of the test split taken from the earlier attempt")
            return kept["hypotheses"]
        default_storage.delete(name)
    hypotheses = engine.recognise(base_dir, [r["wav"] for r in test_rows], language=language)
    default_storage.save(name, ContentFile(json.dumps({"key": key, "hypotheses": hypotheses}).encode()))
    return hypotheses


def _hand_back(signum, frame) -> None:
    """SIGTERM (a worker stopped for a deploy): leave at once, the run queued again by the supervisor
    resumes from the last epoch's checkpoint; the work directory goes on the way out."""
    raise SystemExit(HANDED_BACK)


def run(run_id: int) -> bool:
    run_ = TrainingRun.objects.select_related("custom_model__language", "custom_model__organisation").get(
        pk=run_id
    )
    if run_.status != TrainingRun.Status.RUNNING:
        return False
    work_dir = training_run_work_dir(run_.pk)
    out_dir = training_run_output_dir(model_id=run_.custom_model_id, run_id=run_.pk)
    _clear_earlier_attempt(work_dir)
    signal.signal(signal.SIGTERM, _hand_back)
    with Reporter(run_) as reporter:
        try:
            _train(run_, reporter, work_dir, out_dir)
            return True
        except RunRefused as refusal:
            training_run_fail(run=run_, cause=refusal.cause, **refusal.words)
            shutil.rmtree(out_dir, ignore_errors=True)
            return False
        except Exception as exc:
            if reporter.stopped:
                training_run_fail(run=run_, cause=Failure.STOPPED)
            else:
                training_run_fail(run=run_, cause=Failure.CRASHED, stage=reporter.stage, error=exc)
            shutil.rmtree(out_dir, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)


def _clear_earlier_attempt(work_dir: Path) -> None:
    """What a dead trainer of the same run left here; `tmp` is this attempt's (its supervisor made it)."""
    if work_dir.is_dir():
        for path in work_dir.iterdir():
            if path.name != "tmp":
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


class RunRefused(Exception):
    """The run cannot give a usable model: it ends Failed for this cause, in these words."""

    def __init__(self, cause: Failure, **words) -> None:
        super().__init__(cause.message(**words))
        self.cause, self.words = cause, words


def _require_enough_speech(data: PreparedData, synthetic_rows: int = 0) -> None:
    """The dataset's minimum, checked again on the speech the run actually prepared.

    Validation counted the uploaded audio's decoded length; what trains is the transcribed
    segments, which leave pauses, music and unreadable cues out. A dataset counted 10
    minutes may prepare fewer, but not less than half of the minimum. Sentences of text stand in
    for the minutes the same way: half of DATASET_MIN_TEXT_SENTENCES spoken is enough."""
    minimum = settings.DATASET_MIN_MINUTES * 60 * PREPARED_MINIMUM_SHARE
    if synthetic_rows and synthetic_rows >= settings.DATASET_MIN_TEXT_SENTENCES * PREPARED_MINIMUM_SHARE:
        minimum = 0
    found = PreparedData.seconds(data.train) + PreparedData.seconds(data.test)
    if found < minimum or not data.train or not data.test:
        raise RunRefused(
            Failure.TOO_LITTLE_SPEECH,
            found=found / 60,
            train=len(data.train),
            test=len(data.test),
            needed=minimum / 60,
        )


def _require_better_than_chance(scores: dict) -> None:
    """A model that gets no test word right is not a model: it never serves a request."""
    if scores["word_error_rate"] >= 100:
        raise RunRefused(
            Failure.NOT_USABLE, wer=scores["word_error_rate"], base_wer=scores["base_word_error_rate"]
        )


def _train(run_: TrainingRun, reporter: Reporter, work_dir: Path, out_dir: Path) -> None:
    model: CustomModel = run_.custom_model
    with metrics.scoring(model.language.code):
        _train_in_language(run_, model, reporter, work_dir, out_dir)


def _train_in_language(
    run_: TrainingRun, model: CustomModel, reporter: Reporter, work_dir: Path, out_dir: Path
) -> None:
    from training import engine

    started = time.time()
    language = model.language.code
    base_dir = base_model_dir(language=model.language, domain=model.base_model)

    reporter.enter("prepare", 1)
    pairs, unmatched, _ = dataset_pairs(model=model)
    if unmatched:
        reporter.log(
            f"Skipping {len(unmatched)} unmatched audio file(s): {', '.join(a.name for a in unmatched)}"
        )
    normalise = engine.training_text(base_dir)
    data = prepare(
        pairs=pairs,
        work_dir=work_dir,
        normalise=normalise,
        align=lambda wav, text: _aligned_words(engine, base_dir, wav, text, language),
        log=reporter.log,
    )
    for warning in data.warnings:
        reporter.log(warning, level="warning")
    text_files = list(dataset_file_list(model=model).filter(kind=Kind.TEXT))
    data_description = _add_synthetic_speech(text_files, data, language, work_dir, normalise, reporter)
    _require_enough_speech(data, synthetic_rows=data_description["synthetic_sentences"])
    train_rows, valid_rows = _validation_split(data.train)
    lineage = version_lineage(
        model=model,
        base_dir=base_dir,
        base_meta=engine.read_meta(base_dir),
        files=[f for pair in pairs for f in (pair.audio, pair.transcript)] + text_files,
        minutes={
            "train": round(PreparedData.seconds(train_rows) / 60, 2),
            "valid": round(PreparedData.seconds(valid_rows) / 60, 2),
            "test": round(PreparedData.seconds(data.test) / 60, 2),
        },
        settings_used={},
    )
    if data_description["test"] == "synthetic":
        test_source = f", synthetic: held-out sentences of text in the voice {voices.SYNTHETIC_TEST_VOICE}"
    else:
        test_source = ", a 20% hold-out" if data.held_out else ", the uploaded test split"
    reporter.log(
        f"{len(data.train)} training segments ({PreparedData.seconds(data.train) / 60:.1f} min), "
        f"{len(data.test)} test segments ({PreparedData.seconds(data.test) / 60:.1f} min{test_source})"
    )

    reporter.enter("evaluate-base", 10)
    references = [r["transcript"] for r in data.test]
    base_hyps = _base_hypotheses(engine, run_, base_dir, data.test, language, reporter.log)
    base_wer, _ = metrics.error_rates(references, base_hyps)
    reporter.log(f"base model WER on the test split: {base_wer:.1f}%")

    reporter.enter("train", 15)

    def on_progress(fraction: float) -> bool:
        reporter.progress = 15 + 70 * fraction
        return not reporter.stopped

    anchor_rows = anchor_set(base_dir, language, log=reporter.log) if speaks_anchor_language(language) else []
    if out_dir.exists():
        shutil.rmtree(out_dir)
    summary = engine.fine_tune(
        base_dir,
        out_dir,
        train_rows=train_rows,
        valid_rows=valid_rows,
        test_rows=data.test,
        work_dir=work_dir,
        rehearsal_seconds=min(PreparedData.seconds(train_rows), settings.TRAINING_REHEARSAL_MINUTES * 60),
        meta={"name": model.stt_name, "base": str(base_dir), "language": language},
        anchor_rows=[row for row in anchor_rows if row["text"]],
        max_regression=settings.TRAINING_MAX_REGRESSION,
        log=reporter.log,
        on_progress=on_progress,
        enter=reporter.enter,
        epochs=settings.TRAINING_EPOCHS or None,
        lr=settings.TRAINING_LEARNING_RATE or None,
        checkpoint=StorageCheckpoint(run_),
        shares=settings.TRAINING_BLEND_SHARES or None,
    )
    lineage["settings"] = {
        "epochs": summary.get("epochs"),
        "learning_rate": summary.get("lr"),
        "seed": summary.get("seed", 0),
        "interpolation": summary.get("interpolation"),
        "code_version": code_version(),
    }

    reporter.enter("evaluate", 90)
    custom_hyps = engine.recognise(out_dir, [r["wav"] for r in data.test], language=language)
    scores = metrics.training_metrics(
        references=references,
        base_hypotheses=base_hyps,
        custom_hypotheses=custom_hyps,
        training_seconds=PreparedData.seconds(data.train),
    )
    scores["wall_seconds"] = round(time.time() - started, 1)
    scores["epochs"] = summary.get("epochs")
    scores.update(
        {k: v for k, v in data_description.items() if k != "test"}, test_split=data_description["test"]
    )
    reporter.log(
        f"custom model WER {scores['word_error_rate']:.1f}% (base {scores['base_word_error_rate']:.1f}%), "
        f"CER {scores['character_error_rate']:.1f}%, improvement {scores['accuracy_improvement']:.1f}%"
    )
    _require_better_than_chance(scores)

    report, utterances = _evaluate(
        engine, base_dir, out_dir, data, base_hyps, custom_hyps, language, reporter.log
    )
    reporter.progress = 94
    if anchor_rows:
        report["anchor"] = _evaluate_anchor(engine, base_dir, out_dir, anchor_rows, language, reporter.log)
    else:
        reporter.log(f"No everyday anchor set for {model.language.name}: general speech is not measured.")
    report["curve"] = summary.get("history", [])
    report["data"] = data_description
    report["phrase_list"] = _phrase_list_effect(
        engine, model, out_dir, data, custom_hyps, language, reporter.log
    )
    reporter.enter("compare", 96)
    report["versus_active"] = _versus_active(
        engine, model, out_dir, data, custom_hyps, language, work_dir, reporter.log
    )
    training_evaluation_save(run=run_, utterances=utterances)
    reporter.enter("done", 99)
    training_run_succeed(
        run=run_,
        metrics=scores,
        model_path=str(out_dir.relative_to(settings.TRAINED_MODELS_DIR)),
        evaluation=report,
        held_back=_regression(report.get("anchor")) or _worse_than_active(report["versus_active"]),
        lineage=lineage,
    )


def _add_synthetic_speech(
    text_files: list, data: PreparedData, language: str, work_dir: Path, normalise, reporter: Reporter
) -> dict:
    """Speak the model's sentences of text (training/synthesis.py) and add them to the prepared
    rows; with no real test speech, the test split becomes the held-out sentences spoken in the
    test voice. Returns what the evaluation and the metrics say of the data's make-up."""
    real_seconds = PreparedData.seconds(data.train)
    description = {
        "synthetic_sentences": 0,
        "synthetic_minutes": 0.0,
        "real_minutes": round(real_seconds / 60, 2),
        "test": "real",
    }
    if not text_files:
        return description
    synthetic_test = not data.test
    reporter.log(
        f"Speaking {sum(f.segment_count or 0 for f in text_files)} sentences of text from "
        f"{len(text_files)} file(s) with offline voices ({', '.join(voices.SYNTHETIC_TRAIN_VOICES)}, in turn)"
        + (f"; the test split is synthetic, in {voices.SYNTHETIC_TEST_VOICE}" if synthetic_test else "")
    )

    def on_progress(fraction: float) -> None:
        reporter.progress = 2 + 7 * fraction

    try:
        spoken = synthesis.synthesise(
            files=text_files,
            language=language_code_of(language),
            work_dir=work_dir,
            normalise=normalise,
            synthetic_test=synthetic_test,
            log=reporter.log,
            should_stop=lambda: reporter.stopped,
            on_progress=on_progress,
        )
    except ValueError as exc:
        raise RunRefused(Failure.CRASHED, stage="prepare", error=str(exc)) from exc
    data.train.extend(spoken.train)
    if synthetic_test:
        data.test, data.held_out = spoken.test, False
    synthetic_seconds = PreparedData.seconds(spoken.train)
    description.update(
        synthetic_sentences=len(spoken.train),
        synthetic_minutes=round(synthetic_seconds / 60, 2),
        text_sentences=spoken.sentences,
        voices=list(voices.SYNTHETIC_TRAIN_VOICES),
        test="synthetic" if synthetic_test else "real",
    )
    if synthetic_test:
        description["test_voice"] = voices.SYNTHETIC_TEST_VOICE
    share = synthetic_seconds / (synthetic_seconds + real_seconds) * 100 if spoken.train else 0.0
    reporter.log(
        f"synthetic speech: {len(spoken.train)} sentences ({synthetic_seconds / 60:.1f} min), "
        f"{share:.0f}% of the training speech ({real_seconds / 60:.1f} min real); test split: "
        f"{description['test']}"
    )
    return description


def _versus_active(
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


def _phrase_list_effect(
    engine, model: CustomModel, out_dir: Path, data: PreparedData, custom_hyps, language, log
):
    """The model's phrase list on the test split (evaluation.phrase_list_effect); None without one."""
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
    terms = evaluation.mine_key_terms(
        [row["transcript"] for row in data.train], is_common=engine.common_words(out_dir, language=language)
    )
    effect = evaluation.phrase_list_effect(phrases, terms, references, custom_hyps, with_list)
    log(
        f"phrase list ({len(phrases)} phrases) on the test split: key-term recall "
        f"{effect['recall']['without']}% -> {effect['recall']['with']}%, "
        f"WER {effect['wer']['without']:.1f}% -> {effect['wer']['with']:.1f}%, "
        f"{effect['false_insertions']['with']} listed phrase(s) written where "
        f"nobody said them ({effect['false_insertions']['without']} without the list)"
    )
    return effect


def _worse_than_active(versus: dict | None) -> str:
    if versus is None or versus["passed"]:
        return ""
    return (
        f"it scored {versus['new_wer']:.1f}% WER against version {versus['active_version']}'s "
        f"{versus['active_wer']:.1f}% on both versions' test splits ({versus['utterances']} utterances). "
        "An admin or sysop can activate it anyway."
    )


def _evaluate(
    engine, base_dir, out_dir, data: PreparedData, base_hyps, custom_hyps, language: str, log
) -> tuple[dict, list]:
    """The stored evaluation of the test split: alignments, flags, totals and key-term recall.

    The custom model's word timings (its serving path) against the voice activity detector's
    speech find words written over silence."""
    heard = []
    for row, base_text, custom_text in zip(data.test, base_hyps, custom_hyps, strict=True):
        words = engine.transcribe(out_dir, row["wav"], language=language)["words"]
        heard.append(
            evaluation.UtteranceTranscripts(
                reference=row["transcript"],
                base_text=base_text,
                custom_text=custom_text,
                custom_words=[(w["word"], w["start"], w["end"]) for w in words],
                speech_regions=engine.speech_regions(row["wav"]),
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


def _evaluate_anchor(engine, base_dir, out_dir, rows: list[dict], language: str, log) -> dict:
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


def _regression(anchor: dict | None) -> str:
    """Why the gate keeps the model disabled, or "" when everyday speech held up (or was not measured)."""
    if anchor is None or anchor["passed"]:
        return ""
    return (
        f"General speech got worse: WER on everyday speech went from {anchor['base_wer']:.1f}% to "
        f"{anchor['custom_wer']:.1f}% ({anchor['change']:+.1f} points, more than the "
        f"{anchor['max_regression']:g} allowed). An admin or sysop can enable it anyway."
    )


def _aligned_words(engine, base_dir, wav, text: str, language: str) -> list[dict]:
    """Word timings of a long TXT-paired recording, from the base model (bounded memory)."""
    words = text.split()
    timings, _ = engine.align_words(base_dir, wav, words, language=language)
    return [{"word": w, **t} for w, t in zip(words, timings, strict=True) if t is not None]


def _validation_split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """A deterministic 10 % of the training segments picks the best epoch.

    Tiny sets validate on themselves."""
    if len(rows) < 10:
        return rows, rows
    ranked = sorted(rows, key=lambda r: hashlib.sha1(r["wav"].rsplit("/", 1)[-1].encode()).hexdigest())
    count = max(1, round(len(rows) * VALID_SHARE))
    valid = {r["wav"] for r in ranked[:count]}
    return [r for r in rows if r["wav"] not in valid], [r for r in rows if r["wav"] in valid]
