"""Languages benchmark: fine-tuning the multilingual Whisper base on a domain in another language.

    .venv/bin/python bench/languages.py [--languages de,nl,es] [--minutes 12] [--keep DIR]
                                        [--skip-training]

For each language, builds its domain set (bench/domains/: German medical, Dutch legal, Spanish
technical) as cue-timed recordings (WAV + VTT, one cue per sentence) and runs the product's own
path in a scratch database, as bench/quality.py does: create a model on the demo organisation,
upload the recordings (train and test splits), start training and run the queue task (which
trains in its child process). Voices (tests/voices.py):

  * train: espeak-ng ESPEAK_TRAIN_VARIANTS in turn, every 4th recording Kokoro jf_alpha;
  * test: Kokoro jf_nezumi (the anchor's voice) and jf_tebukuro and espeak-ng
    ESPEAK_TEST_VARIANT, one recording each with a third of the TEST sentences (so a voice's
    figure is also its sentences' figure).

Reports base vs custom WER on the test cues per test voice; base vs custom WER on the language's
24 everyday sentences (training/sentences/everyday/) in Kokoro jf_tebukuro and espeak-ng
ESPEAK_TEST_VARIANT, i.e. what the domain fine-tuning forgot (the product's anchor set speaks 20
of the same sentences in Kokoro jf_nezumi, and the run tunes its interpolation share on it, so
this figure is not blind to the sentences, only to the voices); and the wall time from start
to Success. On the base alone, for en nl de fr es it pt: language detection on clips of five
everyday sentences (and its refusals of five other languages, bench/unpublished.py), and the
real-time factor of transcribing up to 30 s of whole sentences. Scores follow the product's
metrics in each language. Built audio is cached in the scratch folder, so a rerun with --keep
reuses it. Prints one JSON object.

The product refuses to train on less than DATASET_MIN_MINUTES (default 10) of train and test audio
together; a small run (--minutes 3) needs that setting lowered in the environment.
"""

import argparse
import importlib
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from bench import quality  # noqa: E402
from bench.common import ingest_recordings, machine  # noqa: E402
from tests import voices  # noqa: E402
from tests.domain.cardiology import stamp  # noqa: E402
from training import anchor  # noqa: E402

DOMAINS = {"de": "medical_de", "nl": "legal_nl", "es": "technical_es"}
DETECTION_LANGUAGES = ("en", "nl", "de", "fr", "es", "it", "pt")
RATE = 16000
GAP_SECONDS = 0.45
PER_RECORDING = 8
KOKORO_EVERY = 4  # every 4th training recording is Kokoro's, the others espeak-ng's
TRAIN_VOICES = [f"espeak:{v}" for v in voices.ESPEAK_TRAIN_VARIANTS] + [
    f"kokoro:{v}" for v in voices.KOKORO_TRAIN
]
# The domain's test sentences in the anchor's voice too (jf_nezumi, never trained on): the run tunes
# nothing on the domain's test sentences. Everyday sentences only in voices the run never heard.
TEST_VOICES = [
    f"kokoro:{anchor.ANCHOR_KOKORO_VOICE}",
    *(f"kokoro:{v}" for v in voices.KOKORO_TEST),
    f"espeak:{voices.ESPEAK_TEST_VARIANT}",
]
EVERYDAY_VOICES = [*(f"kokoro:{v}" for v in voices.KOKORO_TEST), f"espeak:{voices.ESPEAK_TEST_VARIANT}"]
# English has no Kokoro test voice of its own here: piper's "joe" (the English anchor voice, which
# no model here trains on) and espeak-ng's test variant.
ENGLISH_DETECTION_VOICES = ["piper:joe", f"espeak:{voices.ESPEAK_TEST_VARIANT}"]
SENTENCES_PER_DETECTION_CLIP = 5
RTF_SECONDS = 30.0
KEY_LOG_LINES = ("best epoch", "shipping ", "export check", "serving precision")
TARGETS = {
    "relative_reduction": ">= 60",
    "general_speech change": "<= 1 point",
    "wall_seconds": "<= 600",
    "rtf": "<= 0.2",
    "detection": ">= 95 %",
}


def speak(path: Path, text: str, language: str, voice: str, rng: random.Random | None = None) -> np.ndarray:
    """16 kHz int16 samples of `text` in a voice named "espeak:<variant>", "kokoro:<name>" or
    "piper:joe"; with `rng`, at a pace drawn from about 140-175 words a minute."""
    kind, name = voice.split(":")
    if kind == "espeak":
        voices.espeak(path, text, language, variant=name, speed=rng.randint(140, 175) if rng else 150)
    elif kind == "kokoro":
        voices.kokoro(path, text, language, name, speed=round(rng.uniform(0.9, 1.1), 2) if rng else 1.0)
    else:
        from tests.audio import piper_speech

        piper_speech(path, text, length_scale=round(rng.uniform(0.92, 1.14), 2) if rng else 1.0)
    samples, _ = sf.read(str(path), dtype="int16")
    return samples


def write_recording(path: Path, cues: list[tuple[str, np.ndarray]]) -> float:
    """WAV of the sentences with pauses between, and a VTT with one cue per sentence; its seconds."""
    gap = np.zeros(int(GAP_SECONDS * RATE), dtype=np.int16)
    parts, lines, cursor = [gap], [], GAP_SECONDS
    for text, samples in cues:
        start, cursor = cursor, cursor + len(samples) / RATE
        lines.append(f"{stamp(start)} --> {stamp(cursor)}\n{text}")
        parts += [samples, gap]
        cursor += GAP_SECONDS
    sf.write(str(path.with_suffix(".wav")), np.concatenate(parts), RATE, subtype="PCM_16")
    path.with_suffix(".vtt").write_text("WEBVTT\n\n" + "\n\n".join(lines) + "\n")
    return cursor


def train_voice(n: int) -> str:
    """Training recording n's voice: Kokoro's on every KOKORO_EVERY-th, espeak-ng variants in turn."""
    if n % KOKORO_EVERY == KOKORO_EVERY - 1:
        return f"kokoro:{voices.KOKORO_TRAIN[n // KOKORO_EVERY % len(voices.KOKORO_TRAIN)]}"
    espeak_n = n - n // KOKORO_EVERY  # how many espeak-ng recordings came before
    return f"espeak:{voices.ESPEAK_TRAIN_VARIANTS[espeak_n % len(voices.ESPEAK_TRAIN_VARIANTS)]}"


def build_domain(folder: Path, code: str, minutes: float, seed: int = 7) -> dict:
    """The language's domain set: train recordings up to `minutes` of audio, test recordings of all
    TEST sentences in the test voices. Cached: a folder with its summary.json is reused."""
    summary_path = folder / "summary.json"
    if summary_path.is_file():
        return json.loads(summary_path.read_text())
    domain = importlib.import_module(f"bench.domains.{DOMAINS[code]}")
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / "tmp.wav"
    summary = {"domain": f"{domain.DOMAIN} ({DOMAINS[code]})", "train": [], "test": []}

    limit, total, pending = minutes * 60, 0.0, list(domain.TRAIN)
    while pending and total < limit:
        n = len(summary["train"])
        voice, cues, seconds = train_voice(n), [], GAP_SECONDS
        while pending and len(cues) < PER_RECORDING:
            samples = speak(scratch, pending[0], code, voice, rng)
            if total + seconds + len(samples) / RATE + GAP_SECONDS > limit and (cues or summary["train"]):
                pending = []  # the next sentence would pass the limit
                break
            cues.append((pending.pop(0), samples))
            seconds += len(samples) / RATE + GAP_SECONDS
        if cues:
            name = f"{code}_train_{n:02d}"
            seconds = write_recording(folder / name, cues)
            summary["train"].append({"name": name, "seconds": round(seconds, 2), "voice": voice})
            total += seconds

    share = -(-len(domain.TEST) // len(TEST_VOICES))
    for n, voice in enumerate(TEST_VOICES):
        texts = domain.TEST[n * share : (n + 1) * share]
        name = f"{code}_test_{n:02d}"
        seconds = write_recording(folder / name, [(t, speak(scratch, t, code, voice, rng)) for t in texts])
        summary["test"].append({"name": name, "seconds": round(seconds, 2), "voice": voice})
    scratch.unlink(missing_ok=True)

    summary["voices"] = {s: list(dict.fromkeys(r["voice"] for r in summary[s])) for s in ("train", "test")}
    summary["train_minutes"] = round(sum(r["seconds"] for r in summary["train"]) / 60, 2)
    summary["test_minutes"] = round(sum(r["seconds"] for r in summary["test"]) / 60, 2)
    summary_path.write_text(json.dumps(summary, indent=1))
    return summary


def everyday_sentences(code: str) -> list[str]:
    if code == "en":
        from training.engine.starter.text import EVERYDAY_TEST

        return [f"{s[0].upper()}{s[1:]}." for s in EVERYDAY_TEST[:24]]
    path = ROOT / "training" / "sentences" / "everyday" / f"{code}.txt"
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_everyday(folder: Path, code: str) -> list[dict]:
    """The language's everyday sentences as single clips, each in every everyday voice (cached)."""
    manifest = folder / "clips.json"
    if manifest.is_file():
        return json.loads(manifest.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for voice in ENGLISH_DETECTION_VOICES if code == "en" else EVERYDAY_VOICES:
        for n, text in enumerate(everyday_sentences(code)):
            wav = folder / f"{voice.replace(':', '_')}-{n:02d}.wav"
            speak(wav, text, code, voice)
            clips.append({"wav": str(wav), "text": text, "voice": voice})
    manifest.write_text(json.dumps(clips, indent=1))
    return clips


def joined(path: Path, wavs: list[str], seconds: float | None = None) -> float:
    """One WAV of the clips with pauses between (with `seconds`, as many whole clips as fit in it,
    at least one: a recording ends after a sentence, not in a word); its length."""
    gap = np.zeros(int(GAP_SECONDS * RATE), dtype=np.int16)
    parts: list[np.ndarray] = []
    for wav in wavs:
        clip = sf.read(wav, dtype="int16")[0]
        if parts and seconds is not None and (sum(map(len, parts)) + len(clip)) / RATE > seconds:
            break
        parts += [clip, gap]
    samples = np.concatenate(parts)
    sf.write(str(path), samples, RATE, subtype="PCM_16")
    return len(samples) / RATE


def scored_by_voice(code: str, references: list[str], by: list[str], base: list[str], custom: list[str]):
    from training import metrics

    with metrics.scoring(code):
        return quality._by_voice(references, by, base, custom)


def general_speech(code: str, clips: list[dict], base_dir: Path, custom_dir: Path) -> dict:
    from training import engine

    wavs = [c["wav"] for c in clips]
    return scored_by_voice(
        code,
        [c["text"] for c in clips],
        [c["voice"] for c in clips],
        engine.recognise(base_dir, wavs, language=code),
        engine.recognise(custom_dir, wavs, language=code),
    )


def train_language(code: str, sets: Path, minutes: float) -> dict:
    """The product's path for one language, and its figures."""
    from accounts.models import Organisation
    from config.errors import ApplicationError
    from custom_models.models import CustomModel, Domain
    from custom_models.services import custom_model_create
    from training import tasks
    from training.models import TrainingRun
    from training.selectors import base_model_dir, trained_model_path
    from training.services import training_run_start

    folder = sets / f"{code}-{minutes:g}min"
    summary = build_domain(folder, code, minutes)
    everyday = build_everyday(sets / f"everyday-{code}", code)
    domain = DOMAINS[code].split("_")[0]
    model = custom_model_create(
        organisation=Organisation.objects.get(slug="demo"),
        name=f"{domain.title()} {code} bench {time.time():.0f}",
        language=code,
        base_model=domain if domain in Domain.values else Domain.GENERAL,
    )
    ingest_recordings(model, folder, summary)

    started = time.perf_counter()
    try:
        run = training_run_start(model=model)
    except ApplicationError as exc:  # e.g. under DATASET_MIN_MINUTES of audio: say so, go on
        return {"domain": summary["domain"], "train_minutes": summary["train_minutes"],
                "test_minutes": summary["test_minutes"], "status": "refused", "error": exc.message,
                "details": exc.details}  # fmt: skip
    tasks.run_training(run.pk)
    wall = time.perf_counter() - started
    model = CustomModel.objects.get(pk=model.pk)
    run = TrainingRun.objects.get(pk=run.pk)
    base_dir = base_model_dir(language=model.language, domain=model.base_model)
    by_voice, general = None, None
    if model.model_path:
        custom_dir = trained_model_path(model.model_path)
        by_voice = quality.domain_by_voice(folder, summary["test"], base_dir, custom_dir, language=code)
        general = general_speech(code, everyday, base_dir, custom_dir)
    log = [line.message for line in model.log_lines.all()]
    return {
        "domain": summary["domain"],
        "train_minutes": summary["train_minutes"],
        "test_minutes": summary["test_minutes"],
        "voices": summary["voices"],
        "status": model.get_training_status_display(),
        "run_error": run.error or None,
        "enabled": model.enabled,
        "disabled_reason": model.disabled_reason or None,
        "wall_seconds": round(wall, 1),
        "training_metrics": model.training_metrics,
        "anchor": (run.evaluation or {}).get("anchor"),
        "domain_by_voice": by_voice,
        "general_speech": general,
        "key_log_lines": [line for line in log if line.startswith(KEY_LOG_LINES)],
        "log_tail": log[-8:] if not model.model_path else None,
    }


def detection_and_rtf(sets: Path) -> dict:
    """On the multilingual base alone: language detection among DETECTION_LANGUAGES on clips of
    five everyday sentences, its refusals of speech in other languages (bench/unpublished.py), and
    the real-time factor of transcribing up to 30 s of whole sentences in each language."""
    from custom_models.models import Language
    from training import engine
    from training.selectors import base_model_dir

    # English's general base is tiny.en, which speaks one language: both measures take the base
    # that serves the other languages (and that language=auto detects with).
    bases = [base_model_dir(language=Language.objects.get(code=code)) for code in DETECTION_LANGUAGES]
    base_dir = next(path for path in bases if len(engine.languages(path)) > 1)
    detection, rtf, detect_seconds = {}, {}, []
    warmed = False
    for code in DETECTION_LANGUAGES:
        clips = build_everyday(sets / f"everyday-{code}", code)
        folder = sets / f"detect-{code}"
        folder.mkdir(exist_ok=True)
        results = []
        for voice in dict.fromkeys(c["voice"] for c in clips):
            wavs = [c["wav"] for c in clips if c["voice"] == voice]
            for n in range(0, len(wavs), SENTENCES_PER_DETECTION_CLIP):
                wav = folder / f"{voice.replace(':', '_')}-{n:02d}.wav"
                seconds = joined(wav, wavs[n : n + SENTENCES_PER_DETECTION_CLIP])
                started = time.perf_counter()
                found = detected(base_dir, wav)
                detect_seconds.append(time.perf_counter() - started)
                results.append({"voice": voice, "seconds": round(seconds, 1), **found})
        wrong = [r for r in results if r["language"] != code]
        detection[code] = {"correct": len(results) - len(wrong), "total": len(results), "wrong": wrong}

        clip = folder / "rtf.wav"
        first_voice = clips[0]["voice"]
        seconds = joined(clip, [c["wav"] for c in clips if c["voice"] == first_voice], RTF_SECONDS)
        if not warmed:  # loading the model is not transcribing
            engine.transcribe(base_dir, clip, language=code)
            warmed = True
        started = time.perf_counter()
        engine.transcribe(base_dir, clip, language=code)
        rtf[code] = {
            "audio_seconds": round(seconds, 1),
            "rtf": round((time.perf_counter() - started) / seconds, 3),
        }
    correct = sum(d["correct"] for d in detection.values())
    total = sum(d["total"] for d in detection.values())
    detection["all"] = {
        "correct": correct,
        "total": total,
        "accuracy": round(correct / total * 100, 1),
        # the first call loads the model
        "seconds_per_clip": round(sum(detect_seconds[1:]) / (len(detect_seconds) - 1), 2),
    }
    detection["unpublished"] = unpublished_refusals(base_dir, sets / "detect-unpublished")
    rtf["mean"] = round(sum(r["rtf"] for r in rtf.values()) / len(rtf), 3)
    return {"base_model": str(base_dir), "detection": detection, "rtf": rtf}


def detected(base_dir: Path, wav: Path) -> dict:
    from training import engine

    try:
        return engine.detect_language(base_dir, wav, list(DETECTION_LANGUAGES))
    except engine.LanguageUnclear as exc:
        return {"language": None, "unclear": str(exc)}


def unpublished_refusals(base_dir: Path, folder: Path) -> dict:
    """language=auto on speech in languages outside DETECTION_LANGUAGES: how much is refused."""
    from bench.unpublished import SENTENCES
    from tests.audio import speech

    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for code, sentences in SENTENCES.items():
        wav = folder / f"{code}.wav"
        if not wav.is_file():
            speech(wav, " ".join(sentences), voice=f"{code}+{voices.ESPEAK_TEST_VARIANT}", speed=150)
        results.append({"spoken": code, **detected(base_dir, wav)})
    refused = sum(r["language"] is None for r in results)
    return {"refused": refused, "total": len(results), "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--languages", default="de,nl,es", help="codes among " + ", ".join(DOMAINS))
    parser.add_argument("--minutes", type=float, default=12.0, help="training audio a language")
    parser.add_argument("--keep", type=Path, help="keep the scratch folder (and built audio) here")
    parser.add_argument("--skip-training", action="store_true", help="only language detection and RTF")
    args = parser.parse_args()
    codes = [c.strip() for c in args.languages.split(",") if c.strip()]
    unknown = [c for c in codes if c not in DOMAINS]
    if unknown:
        parser.error(f"no domain set for {', '.join(unknown)} (there are {', '.join(DOMAINS)})")

    from bench.common import demo_database_in_process

    scratch = demo_database_in_process(args.keep, "bench-languages-")

    sets = scratch / "sets"
    sets.mkdir(exist_ok=True)

    languages = {}
    for code in [] if args.skip_training else codes:
        languages[code] = train_language(code, sets, args.minutes)
        # Kept apart too: a later step that breaks does not cost the training's figures.
        (scratch / f"result-{code}.json").write_text(json.dumps(languages[code], indent=1))
    result = {
        "benchmark": "languages",
        "languages": languages,
        **detection_and_rtf(sets),
        "machine": machine(),
        "scratch": str(scratch),
        "targets": TARGETS,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
