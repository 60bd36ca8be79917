"""Which offline voice may do what in tests and benchmarks (the voices themselves: training/voices.py).

Voices are split by use so a figure never measures a voice its model trained on. The product's
anchor sets (everyday speech every run is gated on, and its WiSE-FT share chosen on) use
training.anchor's voices, piper "joe" for English and Kokoro jf_nezumi for the other languages:
no training set may use them, and no forgetting figure may be measured in them (the run tuned on
them), so they are in neither list below.
"""

from training.voices import espeak, kokoro  # noqa: F401  (the benchmarks speak through here)

ESPEAK_TRAIN_VARIANTS = ("m1", "m3", "f2", "f4", "m5", "klatt")
ESPEAK_TEST_VARIANT = "m7"
KOKORO_TRAIN = ("jf_alpha",)
KOKORO_TEST = ("jf_tebukuro",)
# Kokoro's other voices are kept apart to check the published figures independently: nothing
# here trains, tunes or tests on them, so they are not named in this repository.
