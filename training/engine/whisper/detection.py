"""language=auto: which of an organisation's languages is spoken in the first 30 s of speech.

Whisper's detector (its language token's probabilities) alone heard synthetic Dutch as English
with 0.73-0.97 and got 57 of 70 test clips in seven languages right (bench/languages.py). Here it
only shortlists: the SHORTLIST candidates it ranks highest are each transcribed (beam 5, as
served; one batch sharing the encoder's pass, about 1.5 s on two cores), and each language's
probability is the detector's weighted by how likely that language's transcript is:

    P(language) ∝ detector(language) × exp(n × mean log-probability of its transcript)

with n the mean transcript length in tokens, so every transcript's likelihood is taken at the same
length and a language that writes less is not favoured. Told the wrong language, Whisper either
writes nonsense in it, which scores low, or writes what it hears in the right one (English words
under a French token): then the likelihoods tie and the detector decides. The probabilities are
among the shortlist.

It refuses (LanguageUnclear) rather than guess, and transcribe a whole file in a wrong language:
- under MIN_SPEECH_SECONDS of speech (on 2-3 s Whisper guesses: shared/notes/multilingual-whisper.md);
- when the detector gives a language the organisation does not have MIN_PROBABILITY or more
  and its transcript, weighted the same way, beats the shortlist's (Polish, Finnish or Czech
  speech where the seven published languages are the candidates). Both must agree: on espeak's
  Dutch the detector's favourite was Thai at 0.29 and its transcript won (a script written in
  many byte tokens scores well); on Kokoro's Dutch it was Latin at 0.94 and the Dutch
  transcript won;
- when no language reaches MIN_PROBABILITY.
"""

from __future__ import annotations

import math
from pathlib import Path

from .serving import SAMPLE_RATE, TRANSCRIBE_OPTIONS, load

DETECT_SECONDS = 30.0
MIN_SPEECH_SECONDS = 8.0
SHORTLIST = 3
MIN_PROBABILITY = 0.5
# A wrong language token often loops ("The Geography of the Geography …") and its loop scores well.
NO_REPEAT_NGRAM_SIZE = 3
# Enough text to score a language by; a longer transcript is scored on its beginning.
MAX_TOKENS = 224


def detect_language(model_dir: Path, media_path: Path, candidates: list[str]) -> dict:
    """The most likely of `candidates` in the first 30 s of speech of any ffmpeg-readable file:
    {"language", "probability", "speech_seconds"}."""
    from ..errors import LanguageUnclear
    from ..text import language_code

    speech = _first_speech(media_path)
    seconds = len(speech) / SAMPLE_RATE
    if seconds < MIN_SPEECH_SECONDS:
        raise LanguageUnclear(
            f"Only {seconds:.1f} s of speech: at least {MIN_SPEECH_SECONDS:g} s are needed to tell the "
            "language. Send language=<code>."
        )
    model = load(model_dir)
    encoded = _encoded(model, speech)
    # [(code, probability)], likeliest first, from the language token after <|startoftranscript|>
    detected = [(token[2:-2], p) for token, p in model.model.detect_language(encoded)[0]]
    detector = {code: p for code, p in detected if p > 0}
    wanted = {language_code(code) for code in candidates}
    shortlist = sorted(wanted & detector.keys(), key=detector.get, reverse=True)[:SHORTLIST]
    if not shortlist:
        raise LanguageUnclear("None of the organisation's languages was heard. Send language=<code>.")
    # The detector's favourite, when it is not the organisation's, is transcribed too: where its
    # transcript also wins, the speech is in a language the organisation does not have.
    favourite = detected[0][0]
    challenger = favourite if favourite not in wanted and detector[favourite] >= MIN_PROBABILITY else None
    transcripts = _transcript_scores(model, encoded, shortlist + ([challenger] if challenger else []))
    length = sum(n for _, n in transcripts.values()) / len(transcripts)
    weights = {
        code: math.log(detector[code]) + length * mean_log_prob
        for code, (mean_log_prob, _) in transcripts.items()
    }
    if challenger and max(weights, key=weights.get) == challenger:
        raise LanguageUnclear(
            f"This sounds like {challenger!r}, which is not among the organisation's languages. "
            "Send language=<code>.",
            heard=challenger,
        )
    top = max(weights[code] for code in shortlist)
    probabilities = {code: math.exp(weights[code] - top) for code in shortlist}
    best = max(probabilities, key=probabilities.get)
    probability = 1.0 / sum(probabilities.values())
    if probability < MIN_PROBABILITY:
        raise LanguageUnclear(
            f"The language is unclear (most likely {best}, probability {probability:.2f}). "
            "Send language=<code>."
        )
    return {"language": best, "probability": round(probability, 3), "speech_seconds": round(seconds, 1)}


def _first_speech(media_path: Path):
    """Up to DETECT_SECONDS of the file's speech (the VAD's regions, pauses left out), float32."""
    import numpy as np

    from .. import audio
    from ..vad import speech_regions_of

    blocks, read = [], 0
    for block in audio.stream_pcm(media_path):
        blocks.append(block)
        read += len(block)
        if read >= 4 * DETECT_SECONDS * SAMPLE_RATE:  # enough to find 30 s of speech with pauses
            break
    pcm = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
    speech = np.concatenate(
        [pcm[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] for a, b in speech_regions_of(pcm)] or [pcm[:0]]
    )
    return speech[: int(DETECT_SECONDS * SAMPLE_RATE)]


def _encoded(model, speech):
    """Whisper's encoder output for `speech` (at most 30 s, padded to 30 s), kept on the CPU."""
    import ctranslate2
    import numpy as np
    from faster_whisper.audio import pad_or_trim

    features = pad_or_trim(model.feature_extractor(speech))
    batch = ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], dtype=np.float32))
    return model.model.encode(batch, to_cpu=True)


def _transcript_scores(model, encoded, languages: list[str]) -> dict[str, tuple[float, int]]:
    """Each language's beam-search transcript of the `encoded` speech: its mean token
    log-probability and its length in tokens."""
    import ctranslate2
    import numpy as np
    from faster_whisper.tokenizer import Tokenizer

    batch = ctranslate2.StorageView.from_array(np.repeat(np.asarray(encoded), len(languages), axis=0))
    tokenizers = [Tokenizer(model.hf_tokenizer, True, "transcribe", code) for code in languages]
    prompts = [[*tokenizer.sot_sequence, tokenizer.no_timestamps] for tokenizer in tokenizers]
    results = model.model.generate(
        batch,
        prompts,
        beam_size=TRANSCRIBE_OPTIONS["beam_size"],
        no_repeat_ngram_size=NO_REPEAT_NGRAM_SIZE,
        max_length=MAX_TOKENS,
        return_scores=True,
    )
    return {
        code: (float(result.scores[0]), len(result.sequences_ids[0]))
        for code, result in zip(languages, results, strict=True)
    }
