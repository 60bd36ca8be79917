"""Phrase biasing for Whisper served by CTranslate2: raising listed phrases by score, not by prompt.

CTranslate2's `Whisper.generate` has no logits hook, so the bias works on whole hypotheses. Each
call faster-whisper makes to `generate` (one per 30 s window and temperature) goes through
`BiasedDecoder`, which:

1. asks for the beam's n-best (`num_hypotheses` = beam size; the top hypothesis is the one
   faster-whisper would have taken anyway);
2. proposes candidates: n-best hypotheses that hold more of the phrases than the top one, and
   the top hypothesis with a span of words the model was unsure of replaced by a phrase that
   sounds like it (`sound_key` compared by RapidFuzz's ratio: "River Oxibin" -> "Rivaroxaban");
3. scores each candidate by the log-probability the decoder gives its tokens, teacher-forced on
   the same encoder output (`Whisper.align`), plus a bonus per token of each phrase it holds,
   and keeps the best (substitutions that each win are also tried together).

The bonus is bounded (BONUS_PER_TOKEN, at most MAX_BONUS_TOKENS tokens a phrase), so a phrase
replaces what Whisper heard only where the audio nearly supports it: a window whose top
hypothesis wins is returned untouched, and a window with nothing that sounds like a phrase costs
one fuzzy-match pass. Word timestamps then come from faster-whisper's own alignment of the
chosen tokens. The settings were first tuned on cardiology dictation (tests/domain/cardiology.py),
where everyday words that sounded like a term were 4.6 nats a token or more below what was heard,
then on bench/phrases_tuning.py's geology and pharmacology terms in training voices: there a right
substitution cost up to about 3.5 nats a token (rare words are several unlikely tokens) and a
wrong one mostly 6 or more, so the bonus went from 2.5 to 4 nats a token and the similarity
needed from 70 to 62; that also turned "the salt" into "basalt" on everyday speech, so the first
and last words a substitution changes must both be in doubt (SURE_LOG_PROB) or sound like the
phrase's own start or end ("River Oxibin" -> "Rivaroxaban"), and at least one of the words it
changes must be in doubt (a sure "beach" became "beech" on sound alone). Misses with the list: 53
of 80 at the first settings, 36 now; everyday speech with a 140-phrase list of sound-alike terms:
1 output of 120 changed ("at the station" -> "infestation"), no wrong term written.
bench/phrases.py measures them on a legal set they were not tuned on.

Why not a decoding loop of our own with trie shallow fusion: CTranslate2 generates one step at a
time only by decoding the whole prefix again (`generate(max_length=...)` keeps no cache between
calls), measured at about 0.12 s a step against 0.28 s for a whole beam-5 decode of a clip.

Prompt hotwords (faster-whisper's `hotwords`, `initial_prompt`) are not used: they are
conditioning text, hallucinate, and are cut silently (shared/notes/vocabulary-adaptation.md).
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata
from dataclasses import dataclass
from types import SimpleNamespace

from ..errors import PhrasesInvalid

# Log-probability added per token of a listed phrase a hypothesis holds (nats), and the most
# tokens of one phrase that count: a long phrase gets no unbounded pull.
BONUS_PER_TOKEN = 4.0
MAX_BONUS_TOKENS = 6
# How alike (RapidFuzz ratio of sound keys, 0-100) a span must be to a phrase to be replaced by it.
MIN_SIMILARITY = 62.0
# Candidates scored per window at most, each one teacher-forced decoder pass (about a sixth of
# a beam search's time): sound-alike substitutions (one span each phrase, the most alike first)
# and n-best hypotheses that hold a phrase.
MAX_SUBSTITUTIONS = 3
WORDS_PER_SUBSTITUTION = 10  # a long window may hold more terms: one more candidate per 10 words
MAX_NBEST = 2
# A span is replaced only if the model was unsure of the first and last words it changes: some
# token of each below this probability (or the word sounds like the phrase's own start or end). On
# cardiology, the spans a right substitution replaced had a least token probability of 0.04-0.76
# (median 0.21); correctly heard everyday words mostly 0.9 or more. bench/phrases_tuning.py: 35
# misses of 80 at 0.8 against 40 at 0.5, where "the salt" became "basalt" once in 120.
SURE_LOG_PROB = math.log(0.8)
# How many of the words a substitution changes the model must have been unsure of, whatever its
# edges sound like: with 0, edges that sound like the phrase's own start and end carried it alone,
# and a sure "beach" became a listed "beech" (bench/phrases_tuning.py, with its sound-alike terms).
MIN_DOUBTED_WORDS = 1
# Longest span replaced: a phrase's words plus this many (Whisper splits a rare word into several).
EXTRA_SPAN_WORDS = 2
MAX_SPAN_WORDS = 8
# A phrase must fit well inside the decoder's 448 positions beside the rest of a window's text.
MAX_PHRASE_TOKENS = 64

_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_SOUNDS = [
    (r"ph", "f"),
    (r"ck", "k"),
    (r"c(?=[eiy])", "s"),
    (r"[cq]", "k"),
    (r"x", "ks"),
    (r"z", "s"),
    (r"[aeiouy]+", "a"),  # vowel quality is what a small model confuses most
    (r"(.)\1+", r"\1"),
]


def normalise(text: str) -> list[str]:
    """Lower-case words of `text` without accents or punctuation ("Holter-monitor." -> holter monitor)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.findall(r"[^\W_]+", text)


def sound_key(text: str) -> str:
    """A rough spelling of how `text` sounds, for fuzzy matching: no spaces, digits spelled out,
    a few English spellings of one sound made one, every vowel one ("pick seven" -> "paksavan",
    "apixaban" -> "apaksaban")."""
    words = [_DIGITS[int(w)] if w.isdigit() and len(w) == 1 else w for w in normalise(text)]
    key = "".join(words)
    for pattern, replacement in _SOUNDS:
        key = re.sub(pattern, replacement, key)
    return key


@dataclass(frozen=True)
class Phrase:
    text: str
    words: tuple[str, ...]
    key: str
    tokens: tuple[int, ...]  # written after a space, as Whisper writes a word mid-sentence
    capital_tokens: tuple[int, ...]  # the same with a capital first letter (a sentence's start)

    @property
    def bonus(self) -> float:
        return BONUS_PER_TOKEN * min(len(self.tokens), MAX_BONUS_TOKENS)


class PhraseList:
    """The phrases of one request, tokenised for one model."""

    def __init__(self, phrases: list[str], hf_tokenizer) -> None:
        self.tokenizer = hf_tokenizer
        self.eot = hf_tokenizer.token_to_id("<|endoftext|>")
        seen, self.phrases = set(), []
        for text in phrases:
            words = tuple(normalise(text))
            if not words or words in seen:
                continue
            seen.add(words)
            tokens = tuple(self._encode(f" {text}"))
            if len(tokens) > MAX_PHRASE_TOKENS:
                raise PhrasesInvalid(
                    f"The phrase {text[:40]!r} is {len(tokens)} tokens for this model; at most "
                    f"{MAX_PHRASE_TOKENS} fit."
                )
            capital = tuple(self._encode(f" {text[:1].upper()}{text[1:]}"))
            self.phrases.append(Phrase(text, words, sound_key(text), tokens, capital))
        self.keys = [p.key for p in self.phrases]
        self.longest = max((len(p.words) for p in self.phrases), default=0)
        self._firsts: dict[str, list[Phrase]] = {}
        for phrase in self.phrases:
            self._firsts.setdefault(phrase.words[0], []).append(phrase)

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def bonus(self, tokens: list[int]) -> float:
        """The bonus a hypothesis earns: each listed phrase it holds, as whole words, counts once
        per occurrence."""
        words = normalise(self.tokenizer.decode([t for t in tokens if t < self.eot]))
        total = 0.0
        for i, word in enumerate(words):
            for phrase in self._firsts.get(word, ()):
                if tuple(words[i : i + len(phrase.words)]) == phrase.words:
                    total += phrase.bonus
        return total

    def words_of(self, tokens: list[int]) -> list[tuple[int, int, int]]:
        """(first token, end token, run) of each word of a hypothesis: a word starts at a token
        written after a space or after a timestamp; timestamps and special tokens end runs."""
        spans, run, start = [], 0, None
        for i, token in enumerate(tokens):
            if token >= self.eot:
                if start is not None:
                    spans.append((start, i, run))
                start, run = None, run + 1
                continue
            piece = self.tokenizer.id_to_token(token) or ""
            if start is None:
                start = i
            elif piece.startswith("Ġ"):
                spans.append((start, i, run))
                start = i
        if start is not None:
            spans.append((start, len(tokens), run))
        return spans

    def doubted_spans(self, tokens: list[int], log_probs: list[float]):
        """A test of whether replacing tokens[first:end] by phrase `index` changes only what the
        model was unsure of at both ends: the first and the last word it changes each hold a token
        below SURE_LOG_PROB, or sound like the phrase's own start or end; words at the edges that
        the phrase keeps as they are do not count."""
        words = self.words_of(tokens)
        texts = [self.tokenizer.decode(tokens[a:b]) for a, b, _ in words]
        unsure = [min(log_probs[a:b], default=0.0) < SURE_LOG_PROB for a, b, _ in words]
        starts = {a: i for i, (a, _, _) in enumerate(words)}
        ends = {b: i for i, (_, b, _) in enumerate(words)}

        def test(first: int, end: int, index: int) -> bool:
            i, j = starts.get(first), ends.get(end)
            if i is None or j is None:
                return False
            phrase = self.phrases[index]
            kept = list(phrase.words)
            while i <= j and kept and normalise(texts[i]) == [kept[0]]:
                i, kept = i + 1, kept[1:]
            while i <= j and kept and normalise(texts[j]) == [kept[-1]]:
                j, kept = j - 1, kept[:-1]
            if i > j:
                return False
            # A sure word at an edge may still be the start or end of the phrase as heard
            # ("River Oxibin" -> "Rivaroxaban"), not a word of its own ("the salt" -> "basalt").
            if sum(unsure[i : j + 1]) < MIN_DOUBTED_WORDS:
                return False
            head, tail = sound_key(texts[i]), sound_key(texts[j])
            return (unsure[i] or phrase.key.startswith(head)) and (unsure[j] or phrase.key.endswith(tail))

        return test

    def substitutions(self, tokens: list[int]) -> list[tuple[float, int, int, list[int], int]]:
        """(similarity, first token, end token, replacement, phrase index) for each span of
        `tokens` that sounds like a phrase not already written there, most alike first."""
        from rapidfuzz import fuzz, process

        words = self.words_of(tokens)
        spans, keys = [], []
        most = min(MAX_SPAN_WORDS, self.longest + EXTRA_SPAN_WORDS)
        for i in range(len(words)):
            for j in range(i, min(len(words), i + most)):
                if words[j][2] != words[i][2]:
                    break
                text = self.tokenizer.decode(tokens[words[i][0] : words[j][1]])
                key = sound_key(text)
                if key:
                    spans.append((words[i][0], words[j][1], text))
                    keys.append(key)
        if not keys:
            return []
        scores = process.cdist(keys, self.keys, scorer=fuzz.ratio, score_cutoff=MIN_SIMILARITY, workers=1)
        found, written = [], set()
        for row, column in zip(*scores.nonzero(), strict=True):
            first, end, text = spans[row]
            phrase = self.phrases[column]
            if normalise(text) == list(phrase.words):
                written.add(column)
                continue
            stripped = text.strip()
            replacement = phrase.capital_tokens if stripped[:1].isupper() else phrase.tokens
            trailing = re.search(r"[^\w\s]*$", stripped).group()
            if trailing:
                replacement = (*replacement, *self._encode(trailing))
            found.append((float(scores[row, column]), first, end, list(replacement), int(column)))
        found.sort(key=lambda item: (-item[0], item[2] - item[1]))
        return [item for item in found if item[4] not in written]


class BiasedDecoder:
    """A CTranslate2 Whisper model whose `generate` picks, among candidates, the one whose
    log-probability plus phrase bonus is highest; everything else is the wrapped model's."""

    def __init__(self, model, phrases: PhraseList) -> None:
        self._model = model
        self._phrases = phrases

    def __getattr__(self, name):
        return getattr(self._model, name)

    def generate(self, features, prompts, **options):
        if options.get("beam_size", 1) > 1:
            options["num_hypotheses"] = max(options.get("num_hypotheses", 1), options["beam_size"])
        results = self._model.generate(features, prompts, **options)
        if len(prompts) != 1:
            return results
        return [self._choose(features, list(prompts[0]), results[0], options)]

    def _token_log_probs(self, features, prompt: list[int], tokens: list[int]) -> list[float]:
        if not tokens:
            return []
        result = self._model.align(features, prompt, [tokens], 1500)[0]
        return [math.log(max(p, 1e-12)) for p in result.text_token_probs]

    def _log_prob(self, features, prompt: list[int], tokens: list[int]) -> float:
        return sum(self._token_log_probs(features, prompt, tokens))

    def _choose(self, features, prompt: list[int], result, options: dict):
        phrases = self._phrases
        hypotheses = [list(ids) for ids in result.sequences_ids]
        top = hypotheses[0]
        room = options.get("max_length", 448) - len(prompt)
        top_bonus = phrases.bonus(top)
        # An n-best hypothesis competes only for a phrase the top one lacks: between two that hold
        # the same phrases, beam search has chosen already.
        nbest = [ids for ids in hypotheses[1:] if phrases.bonus(ids) > top_bonus][:MAX_NBEST]
        substitutions = phrases.substitutions(top)
        if not nbest and not substitutions:
            return result
        top_probs = self._token_log_probs(features, prompt, top)
        top_score = sum(top_probs) + top_bonus
        # Only what the model was unsure of is replaced: a span it wrote with confidence (every
        # token likelier than SURE) was heard, and scoring a substitution costs a decoder pass.
        # The words it changes must be in doubt at both ends: a sure word at an edge was heard, and
        # swallowing it is how "the salt" became "basalt" (bench/phrases_tuning.py). A word the
        # phrase keeps as it is ("metro regurgitation" -> "mitral regurgitation") changes nothing.
        in_doubt = phrases.doubted_spans(top, top_probs)
        doubtful, tried = [], set()
        for item in substitutions:
            # One span a phrase: its most alike doubtful one, the shortest of equals.
            if item[4] not in tried and in_doubt(item[1], item[2], item[4]):
                doubtful.append(item)
                tried.add(item[4])
        most = MAX_SUBSTITUTIONS + len(phrases.words_of(top)) // WORDS_PER_SUBSTITUTION
        candidates: dict[tuple[int, ...], float] = {tuple(ids): phrases.bonus(ids) for ids in nbest}
        for _, first, end, replacement, _ in doubtful[:most]:
            ids = top[:first] + replacement + top[end:]
            if len(ids) <= room:
                candidates.setdefault(tuple(ids), phrases.bonus(ids))
        best, best_score, winners = top, top_score, []
        for ids, bonus in candidates.items():
            score = self._log_prob(features, prompt, list(ids)) + bonus
            if score > top_score:
                winners.append(ids)
            if score > best_score:
                best, best_score = list(ids), score
        best, best_score = self._combine(features, prompt, top, winners, doubtful, best, best_score)
        if best is top:
            return result
        # The top hypothesis's score stays: whether faster-whisper falls back to sampling (a window
        # it finds unlikely) is decided as without the list.
        return SimpleNamespace(
            sequences_ids=[best],
            sequences=[phrases.tokenizer.decode([t for t in best if t < phrases.eot])],
            scores=list(result.scores[:1]),
            no_speech_prob=getattr(result, "no_speech_prob", 0.0),
        )

    def _combine(self, features, prompt, top, winners, substitutions, best, best_score):
        """Two or more phrases in one window: apply together the substitutions that each beat the
        top hypothesis on their own, where they do not overlap, and keep that if it scores best."""
        chosen, used = [], set()
        for _, first, end, replacement, _ in substitutions:
            ids = tuple(top[:first] + replacement + top[end:])
            if ids in winners and not used & set(range(first, end)):
                chosen.append((first, end, replacement))
                used |= set(range(first, end))
        if len(chosen) < 2:
            return best, best_score
        ids = list(top)
        for first, end, replacement in sorted(chosen, reverse=True):
            ids[first:end] = replacement
        score = self._log_prob(features, prompt, ids) + self._phrases.bonus(ids)
        return (ids, score) if score > best_score else (best, best_score)


def biased(model, phrases: list[str]):
    """A shallow copy of a `faster_whisper.WhisperModel` whose decoding favours `phrases` (the
    cached model is shared between requests and stays as it was)."""
    phrase_list = PhraseList(phrases, model.hf_tokenizer)
    if not phrase_list:
        return model
    clone = copy.copy(model)
    clone.model = BiasedDecoder(model.model, phrase_list)
    return clone
