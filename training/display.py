"""What a transcript shows: sentences that start with a capital, then the user's display rules.

Whisper tiny.en often leaves the first word of a clip lower-case when speech starts without a
pause; a cased language's transcript starts each sentence with a capital here. Display rules
("what the model writes" -> "what the user wants", custom_models.vocabulary) then rewrite whole
words, any case, in the text and in the timed words alike: a rule over several words makes one
timed word from the first one's start to the last one's end, so SRT, VTT and TXT downloads and the
dashboard all show the same thing. Rules run after the capitals, so a display form is kept
exactly as the user wrote it.
"""

import re

# Scripts without letter case (Whisper's codes): nothing to capitalise.
UNCASED = frozenset(
    {
        "am", "ar", "as", "bn", "bo", "fa", "gu", "he", "hi", "ja", "jw", "ka", "km", "kn", "ko", "lo",
        "ml", "mr", "my", "ne", "pa", "ps", "sa", "sd", "si", "ta", "te", "th", "ur", "yi", "yue", "zh",
    }
)  # fmt: skip
SENTENCE_END = re.compile(r"[.?!]['\")\]]*$")
EDGE_PUNCTUATION = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


def displayed(
    text: str, words: list[dict], *, rules: list[dict], language: str | None
) -> tuple[str, list[dict]]:
    """The text and timed words as the user should see them."""
    if language is None or language.split("-")[0] not in UNCASED:
        text, words = _capitalised_text(text), _capitalised_words(words)
    for rule in sorted(rules, key=lambda r: -len(r["written"].split())):
        text = _rewritten_text(text, rule)
        words = _rewritten_words(words, rule)
    return text, words


def _upper_first(word: str) -> str:
    for n, ch in enumerate(word):
        if ch.isalpha():
            return word[:n] + ch.upper() + word[n + 1 :]
    return word


def _capitalised_text(text: str) -> str:
    text = re.sub(r"^(\W*)(\w)", lambda m: m.group(1) + m.group(2).upper(), text, count=1)
    return re.sub(r"([.?!]['\")\]]*\s+\W*)(\w)", lambda m: m.group(1) + m.group(2).upper(), text)


def _capitalised_words(words: list[dict]) -> list[dict]:
    out, starts = [], True
    for word in words:
        text = word["word"]
        if starts and any(ch.isalpha() for ch in text):
            text = _upper_first(text)
            starts = False
        out.append({**word, "word": text})
        if SENTENCE_END.search(text.strip()):
            starts = True
    return out


def _rewritten_text(text: str, rule: dict) -> str:
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(part) for part in rule["written"].split()) + r"(?!\w)"
    return re.sub(pattern, lambda m: rule["display"], text, flags=re.IGNORECASE)


def _rewritten_words(words: list[dict], rule: dict) -> list[dict]:
    wanted = [part.casefold() for part in rule["written"].split()]
    size, out, n = len(wanted), [], 0
    while n < len(words):
        run = words[n : n + size]
        cores = [EDGE_PUNCTUATION.match(w["word"].strip()).group(2).casefold() for w in run]
        # Inside a phrase only the edges may carry punctuation ("covid, nineteen" is two things).
        inner_clean = all(EDGE_PUNCTUATION.match(w["word"].strip()).group(3) == "" for w in run[:-1]) and all(
            EDGE_PUNCTUATION.match(w["word"].strip()).group(1) == "" for w in run[1:]
        )
        if len(run) == size and cores == wanted and inner_clean:
            first, last = run[0]["word"], run[-1]["word"]
            lead = first[: len(first) - len(first.lstrip())]
            before = EDGE_PUNCTUATION.match(first.strip()).group(1)
            after = EDGE_PUNCTUATION.match(last.strip()).group(3)
            merged = {**run[0], "word": f"{lead}{before}{rule['display']}{after}", "end": run[-1]["end"]}
            if "probability" in run[0]:
                merged["probability"] = min(w.get("probability", 1.0) for w in run)
            out.append(merged)
            n += size
        else:
            out.append(words[n])
            n += 1
    return out
