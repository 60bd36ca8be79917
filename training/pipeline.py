"""One training run, start to finish, as the child process `manage.py run_training` runs it.

Stages and their share of the progress bar: prepare 0-10, evaluate the base
10-15, fine-tune 15-85, the family's own finishing (a CTC model adapts its
language model, a Whisper model exports and checks its serving copy) 85-90,
evaluate the custom model 90-99. A heartbeat thread writes progress every few seconds.
"""

import hashlib
import logging
import resource
import shutil
import signal
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, close_old_connections

from custom_models.models import CustomModel
from datasets.models import Kind
from datasets.selectors import dataset_file_list, dataset_pairs
from training import metrics, synthesis, voices
from training.anchor import anchor_set, speaks_anchor_language
from training.engine.text import language_code as language_code_of
from training.models import TrainingRun
from training.prepare import HOLD_OUT_MAX_SECONDS, PreparedData, prepare
from training.run_evaluation import (
    evaluate_anchor,
    evaluate_test_split,
    phrase_list_on_test_split,
    regression,
    versus_active,
    worse_than_active,
)
from training.run_storage import StorageCheckpoint, base_hypotheses
from training.selectors import (
    base_model_dir,
    training_run_output_dir,
    training_run_work_dir,
)
from training.services import (
    HANDED_BACK,
    Failure,
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
# Validation picks an epoch and a weight-interpolation share, and is decoded once an epoch and once
# a share tried: 5 minutes of speech tell those apart, and more would make a run of hours pay for
# validation what it pays for training.
VALID_MAX_SECONDS = 300.0
# The share of DATASET_MIN_MINUTES the prepared segments must hold (see _require_enough_speech).
PREPARED_MINIMUM_SHARE = 0.5


def peak_rss_mb() -> float:
    """The largest resident memory this trainer process has had, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
        self.stage_seconds: dict[str, float] = {}
        self._stage_started = time.monotonic()
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
        now = time.monotonic()
        self.stage_seconds[self.stage] = self.stage_seconds.get(self.stage, 0.0) + now - self._stage_started
        self.stage, self.progress, self._stage_started = stage, progress, now

    def costs(self) -> dict:
        """Seconds by stage so far and the trainer's peak memory: what a run of this size costs."""
        self.enter(self.stage, self.progress)
        total = sum(self.stage_seconds.values()) or 1.0
        self.log(
            "time by stage: "
            + ", ".join(
                f"{stage} {secs:.0f} s ({secs / total:.0%})" for stage, secs in self.stage_seconds.items()
            )
            + f"; peak memory of the trainer {peak_rss_mb():.0f} MB"
        )
        return {
            "stage_seconds": {stage: round(secs, 1) for stage, secs in self.stage_seconds.items()},
            "peak_rss_mb": round(peak_rss_mb()),
        }


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
        test_source = (
            f", a 20% hold-out capped at {HOLD_OUT_MAX_SECONDS // 60} minutes of audio"
            if data.hold_out_capped
            else ", a 20% hold-out"
            if data.held_out
            else ", the uploaded test split"
        )
    reporter.log(
        f"{len(data.train)} training segments ({PreparedData.seconds(data.train) / 60:.1f} min), "
        f"{len(data.test)} test segments ({PreparedData.seconds(data.test) / 60:.1f} min{test_source})"
    )

    reporter.enter("evaluate-base", 10)
    references = [r["transcript"] for r in data.test]
    base_hyps = base_hypotheses(engine, run_, base_dir, data.test, language, reporter.log)
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
        synthetic_speech=data_description["synthetic_sentences"] > 0,
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

    report, utterances = evaluate_test_split(
        engine, base_dir, out_dir, data, base_hyps, custom_hyps, language, reporter.log
    )
    reporter.progress = 94
    if anchor_rows:
        report["anchor"] = evaluate_anchor(engine, base_dir, out_dir, anchor_rows, language, reporter.log)
    else:
        reporter.log(f"No everyday anchor set for {model.language.name}: general speech is not measured.")
    report["curve"] = summary.get("history", [])
    report["data"] = data_description
    report["phrase_list"] = phrase_list_on_test_split(
        engine,
        model,
        out_dir,
        data,
        custom_hyps,
        [item["term"] for item in report["terms"]["items"]],
        language,
        reporter.log,
    )
    reporter.enter("compare", 96)
    report["versus_active"] = versus_active(
        engine, model, out_dir, data, custom_hyps, language, work_dir, reporter.log
    )
    training_evaluation_save(run=run_, utterances=utterances)
    scores.update(reporter.costs())
    reporter.enter("done", 99)
    training_run_succeed(
        run=run_,
        metrics=scores,
        model_path=str(out_dir.relative_to(settings.TRAINED_MODELS_DIR)),
        evaluation=report,
        held_back=regression(report.get("anchor")) or worse_than_active(report["versus_active"]),
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


def _aligned_words(engine, base_dir, wav, text: str, language: str) -> list[dict]:
    """Word timings of a long TXT-paired recording, from the base model (bounded memory)."""
    words = text.split()
    timings, _ = engine.align_words(base_dir, wav, words, language=language)
    return [{"word": w, **t} for w, t in zip(words, timings, strict=True) if t is not None]


def _validation_split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """A deterministic 10 % of the training segments, at most VALID_MAX_SECONDS of speech, picks
    the best epoch. Tiny sets validate on themselves."""
    if len(rows) < 10:
        return rows, rows
    ranked = sorted(rows, key=lambda r: hashlib.sha1(r["wav"].rsplit("/", 1)[-1].encode()).hexdigest())
    valid, seconds = set(), 0.0
    for row in ranked[: max(1, round(len(rows) * VALID_SHARE))]:
        if valid and seconds + row["duration"] > VALID_MAX_SECONDS:
            break
        valid.add(row["wav"])
        seconds += row["duration"]
    return [r for r in rows if r["wav"] not in valid], [r for r in rows if r["wav"] in valid]
