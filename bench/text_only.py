"""Text-only training benchmark: ~2,000 sentences of legal text, no audio, Whisper tiny.en.

    .venv/bin/python bench/text_only.py [--sentences 2000] [--keep DIR]

Text-only training (training/synthesis.py) was tuned on cardiology; this measures it on a domain
it never saw. The training text is written here from templates around 100 legal terms (the 50 of
bench/phrases.py's LEGAL set and its 50 MORE_TERMS); the test is bench/phrases.py's LEGAL set,
40 hand-written sentences none of which is in the training text, so only the terms are shared.

  * the model trains through the product's path: the text is ingested as `type=text`, the run is
    started as `POST /run` starts it (training_run_start) and runs the queue task's body in this
    process; its wall time is the run's, from start to Success;
  * the test split is real audio uploaded with the text (the product then scores on it): the LEGAL
    sentences as cue-timed recordings in piper "joe" and espeak-ng's test variant, voices that
    never train (training/voices.py SYNTHETIC_TRAIN_VOICES are espeak-ng m1 m3 f2 f4 m5 klatt and
    Kokoro jf_alpha);
  * key terms missed: each LEGAL sentence as its own clip in both test voices, transcribed by the
    base and by the custom model (engine.transcribe, the served path), a term missed when the
    transcript does not hold it as whole words (target: cut by at least 75 %);
  * relative WER reduction on the same clips (target >= 40 %);
  * forgetting: EVERYDAY sentences (none holds a term) in espeak-ng's test variant and Kokoro
    jf_tebukuro, voices that neither train nor tune the run (the gate's anchor set is piper joe),
    base against custom (target <= 1 WER point).

Prints one JSON object on its last line.
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import demo_database_in_process, machine, reduction, train_in_process  # noqa: E402
from bench.phrases import EVERYDAY, LEGAL, MORE_TERMS, TERMS, holds  # noqa: E402

TEMPLATES = [
    "Counsel raised the question of {term} at the hearing",
    "The judge asked both parties to address {term} in their briefs",
    "The textbook has a chapter on {term} and another on {term2}",
    "Our client asked what {term} means for her case",
    "The memo discusses {term} on page {page}",
    "She explained {term} to the jury in plain words",
    "The appeal turns on {term}, not on {term2}",
    "Please add a note about {term} to the file",
    "The partner wants a summary of the law on {term} by {day}",
    "In this state {term} is rarely argued",
    "The contract refers to {term} in clause {page}",
    "The professor gave a lecture on {term} last {day}",
    "We found three older cases on {term} in the library",
    "Opposing counsel relied on {term} in the reply",
    "The court has never ruled on {term} in a case like this",
    "Write down {term} and {term2} for the meeting on {day}",
    "The trainee confused {term} with {term2}",
    "Any argument about {term} must wait until the trial",
    "The firm's guide explains {term} in two pages",
    "The clerk filed the papers on {term} this morning",
    "Nobody at the firm had heard of {term} before this case",
    "The bar exam asked a question about {term}",
    "The new statute changes the rules on {term}",
    "Her thesis compares {term} in two legal systems",
    "The client signed the document on {term} on {day}",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
ANCHOR_VOICE_NOTE = "piper joe speaks the run's anchor set; forgetting is measured in other voices"


def legal_text(count: int, rng: random.Random, exclude: set[str]) -> list[str]:
    """`count` distinct sentences of legal text, each holding one or two of the 100 terms."""
    terms = TERMS + MORE_TERMS
    out: dict[str, None] = {}
    while len(out) < count:
        term, term2 = rng.sample(terms, 2)
        text = rng.choice(TEMPLATES).format(
            term=term, term2=term2, page=rng.randint(2, 90), day=rng.choice(DAYS)
        )
        sentence = text[0].upper() + text[1:] + "."
        if sentence not in exclude:
            out[sentence] = None
    return list(out)


def test_recordings(folder: Path, rng: random.Random) -> list[dict]:
    """The LEGAL sentences as four cue-timed recordings, two per test voice."""
    from tests.domain import cardiology
    from tests.voices import ESPEAK_TEST_VARIANT

    sentences = [s.rstrip(".") for s, _ in LEGAL]
    half = len(sentences) // 2
    out = []
    for n, voice in enumerate(
        ("piper:joe", "piper:joe", f"en-us+{ESPEAK_TEST_VARIANT}", f"en-us+{ESPEAK_TEST_VARIANT}")
    ):
        name = f"legal_test_{n}"
        texts = sentences[:half] if n % 2 == 0 else sentences[half:]
        if not (folder / f"{name}.wav").exists():
            cardiology.recording(folder / name, texts, voice, rng)
        out.append({"name": name, "voice": voice})
    return out


def everyday_clips(folder: Path) -> list[tuple[str, str, Path]]:
    from tests.voices import ESPEAK_TEST_VARIANT, KOKORO_TEST, espeak, kokoro

    out = []
    for n, sentence in enumerate(EVERYDAY):
        for voice in (f"espeak:{ESPEAK_TEST_VARIANT}", f"kokoro:{KOKORO_TEST[0]}"):
            path = folder / f"everyday-{n:03d}-{voice.replace(':', '-')}.wav"
            if not path.exists():
                kind, name = voice.split(":")
                (espeak if kind == "espeak" else kokoro)(path, sentence, "en", name)
            out.append((voice, sentence, path))
    return out


def scores(model_dir: Path, domain, everyday) -> dict:
    from bench.phrases import transcribe_all
    from training.engine.whisper.windows import word_error_rate

    terms_of = dict(LEGAL)
    domain_text = transcribe_all(model_dir, domain, None)
    everyday_text = transcribe_all(model_dir, everyday, None)
    missed = sum(
        not holds(text, term)
        for (_, sentence, _), text in zip(domain, domain_text, strict=True)
        for term in terms_of[sentence]
    )
    return {
        "key_terms_missed": missed,
        "domain_wer": round(word_error_rate([s for _, s, _ in domain], domain_text), 2),
        "everyday_wer": round(word_error_rate([s for _, s, _ in everyday], everyday_text), 2),
        "domain_text": domain_text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sentences", type=int, default=2000, help="sentences of training text")
    parser.add_argument("--keep", type=Path, help="keep the scratch folder and clips here")
    args = parser.parse_args()

    scratch = demo_database_in_process(args.keep, "bench-text-")
    from accounts.models import Organisation
    from bench.common import ingest_recordings
    from bench.phrases import clips
    from custom_models.services import custom_model_create
    from datasets.services import dataset_file_ingest, staging_path
    from training.selectors import base_model_dir, trained_model_path

    rng = random.Random(23)
    audio = scratch / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    text = legal_text(args.sentences, rng, exclude={s for s, _ in LEGAL})
    assert not {s.lower() for s in text} & {s.lower() for s, _ in LEGAL}
    recordings = test_recordings(audio, rng)
    domain = clips(audio, [s for s, _ in LEGAL], "legal")
    everyday = everyday_clips(audio)

    model = custom_model_create(
        organisation=Organisation.objects.get(slug="demo"),
        name=f"Legal text {time.time():.0f}",
        language="en",
    )
    staged = staging_path()
    staged.write_text("".join(f"{s}\n" for s in text))
    dataset_file_ingest(model=model, source=staged, filename="legal.txt", declared_type="text")
    ingest_recordings(model, audio, {"train": [], "test": recordings})

    model, run, wall = train_in_process(model)
    result = {
        "benchmark": "text_only",
        "machine": machine(),
        "base": "whisper tiny.en",
        "domain": "legal (not tuned on)",
        "text_sentences": len(text),
        "status": model.get_training_status_display(),
        "error": run.error or None,
        "post_run_to_success_seconds": round(wall, 1),
        "target_seconds": 900,
        "training_metrics": model.training_metrics,
        "anchor": (run.evaluation or {}).get("anchor"),
    }
    if model.model_path:
        base = scores(base_model_dir(language=model.language), domain, everyday)
        custom = scores(trained_model_path(model.model_path), domain, everyday)
        terms = sum(len(t) for _, t in LEGAL) * 2
        result["test"] = {
            "utterances": len(domain),
            "voices": sorted({v for v, _, _ in domain}),
            "key_terms": terms,
            "missed_base": base["key_terms_missed"],
            "missed_custom": custom["key_terms_missed"],
            "missed_cut_percent": reduction(base["key_terms_missed"], custom["key_terms_missed"]),
            "wer_base": base["domain_wer"],
            "wer_custom": custom["domain_wer"],
            "relative_wer_reduction": reduction(base["domain_wer"], custom["domain_wer"]),
        }
        result["everyday"] = {
            "utterances": len(everyday),
            "voices": sorted({v for v, _, _ in everyday}),
            "note": ANCHOR_VOICE_NOTE,
            "wer_base": base["everyday_wer"],
            "wer_custom": custom["everyday_wer"],
            "change_points": round(custom["everyday_wer"] - base["everyday_wer"], 2),
        }
        for (voice, sentence, _), b, c in zip(
            domain, base["domain_text"], custom["domain_text"], strict=True
        ):
            if b != c:
                print(f"[{voice}] {sentence!r}: {b!r} -> {c!r}")
    result["targets"] = {
        "missed_cut_percent": ">= 75",
        "relative_wer_reduction": ">= 40",
        "everyday change_points": "<= 1",
        "post_run_to_success_seconds": "<= 900",
    }
    result["scratch"] = str(scratch)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
