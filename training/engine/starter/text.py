"""Text side of the starter corpus: sentence sources, normalisation, numbers.

Sources (all Debian packages, no network):
  * WordNet example sentences (``wordnet-base``, /usr/share/wordnet)
  * fortune cookies (``fortunes``, ``fortunes-min``), without the ``medicine``
    file (keeps medical vocabulary out of the general model) and without the
    offensive ``off/`` directory
  * generated number / date / time / money sentences, spelled out as words
  * a small set of hand-written everyday sentence templates

Every transcript is normalised to the model alphabet: upper-case A-Z, the
apostrophe and single spaces.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

WORDNET_DIR = Path("/usr/share/wordnet")
FORTUNE_DIR = Path("/usr/share/games/fortunes")
EXCLUDED_FORTUNES = {"medicine"}

ALPHABET = list(" 'ABCDEFGHIJKLMNOPQRSTUVWXYZ")  # index 0 of the model is CTC blank

_ALLOWED_RAW = re.compile(r"^[A-Za-z ,.;:!?'\"\-()]+$")
_ABBREV = re.compile(
    r"(\b[A-Za-z]\.)|(\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|etc|Inc|Ltd|Co|Mt|Prof|Gen|Col|Capt|Sgt|Rev|Gov|Sen|No|Vol|Ch|Fig)\.)"
)
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")


def normalise(text: str) -> str:
    """Map free text to the model alphabet (upper case, apostrophes, spaces)."""
    t = text.upper().replace("\u2019", "'").replace("`", "'")
    t = re.sub(r"[-\u2013\u2014/]", " ", t)
    t = re.sub(r"[^A-Z' ]", " ", t)
    # keep only word-internal apostrophes (DON'T, JOHN'S)
    t = re.sub(r"(?<![A-Z])'|'(?![A-Z])", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def clean_sentence(raw: str, min_words: int = 3, max_words: int = 22) -> str | None:
    """Return the normalised sentence or None when espeak would read it differently
    from its normalised spelling (digits, acronyms, abbreviations, symbols)."""
    raw = raw.strip().replace("``", '"').replace("''", '"')
    if not raw or not _ALLOWED_RAW.match(raw):
        return None
    if _ABBREV.search(raw) or _ACRONYM.search(raw):
        return None
    norm = normalise(raw)
    n = len(norm.split())
    if n < min_words or n > max_words:
        return None
    return norm


def wordnet_examples(wordnet_dir: Path = WORDNET_DIR) -> list[str]:
    out = []
    for part in ("noun", "verb", "adj", "adv"):
        path = wordnet_dir / f"data.{part}"
        if not path.exists():
            continue
        for line in path.read_text(encoding="latin-1").splitlines():
            if line.startswith(" ") or "|" not in line:
                continue
            gloss = line.split("|", 1)[1]
            for ex in re.findall(r'"([^"]+)"', gloss):
                s = clean_sentence(ex)
                if s:
                    out.append(s)
    return out


def fortune_sentences(fortune_dir: Path = FORTUNE_DIR) -> list[str]:
    out = []
    if not fortune_dir.is_dir():
        return out
    for path in sorted(fortune_dir.iterdir()):
        if (
            not path.is_file()
            or path.suffix in (".dat", ".u8")
            or "." in path.name
            or path.name in EXCLUDED_FORTUNES
        ):
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        for cookie in re.split(r"\n%\n", text):
            lines = [ln.strip() for ln in cookie.splitlines()]
            # drop attribution lines ("-- Mark Twain") and dialogue tags
            lines = [ln for ln in lines if ln and not ln.startswith("--")]
            body = " ".join(lines)
            body = re.sub(r"^[A-Za-z ]{1,20}:\s+", "", body)
            for sent in re.split(r"(?<=[.!?])\s+", body):
                s = clean_sentence(sent)
                if s:
                    out.append(s)
    return out


# ---------------------------------------------------------------- numbers
_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORD_IRREG = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def number_words(n: int) -> str:
    """Cardinal number in words, e.g. 1234 -> 'one thousand two hundred and thirty four'."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _TENS[t] + ("" if o == 0 else " " + _ONES[o])
    if n < 1000:
        h, r = divmod(n, 100)
        return _ONES[h] + " hundred" + ("" if r == 0 else " and " + number_words(r))
    for div, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if n >= div:
            q, r = divmod(n, div)
            rest = "" if r == 0 else (" and " if r < 100 else " ") + number_words(r)
            return number_words(q) + " " + name + rest
    raise ValueError(n)


def ordinal_words(n: int) -> str:
    words = number_words(n).split()
    last = words[-1]
    if last in _ORD_IRREG:
        last = _ORD_IRREG[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last = last + "th"
    return " ".join(words[:-1] + [last])


def year_words(y: int) -> str:
    if 2000 <= y < 2010:
        return number_words(y)
    hi, lo = divmod(y, 100)
    if lo == 0:
        return number_words(hi) + " hundred"
    if lo < 10:
        return number_words(hi) + " oh " + number_words(lo)
    return number_words(hi) + " " + number_words(lo)


def time_words(h: int, m: int) -> str:
    if m == 0:
        return number_words(h) + random.choice([" o'clock", ""])
    if m < 10:
        return number_words(h) + " oh " + number_words(m)
    return number_words(h) + " " + number_words(m)


_NUMBER_TEMPLATES = [
    "the meeting is on {day} the {ord} of {month}",
    "my appointment is at {time} on {day}",
    "the train leaves at {time} from platform {small}",
    "she was born on the {ord} of {month} {year}",
    "he moved here in {year}",
    "it costs {num} dollars and {small2} cents",
    "the total comes to {num} pounds",
    "we need {small} chairs and {small2} tables",
    "there were about {big} people at the concert",
    "please turn to page {num}",
    "the temperature today is {small2} degrees",
    "call me back at {time}",
    "the shop opens at {time} every {day}",
    "our flight is on {month} {ord}",
    "the population is roughly {big}",
    "he ran {small} miles in {small2} minutes",
    "i will be there in {small} minutes",
    "the invoice is due on the {ord} of {month}",
    "room number {num} is on the {ord} floor",
    "the score was {small} to {small2}",
    "add {small} cups of flour and {small2} eggs",
    "the year {year} was a good one",
    "she is {small2} years old",
    "the package weighs {small} kilograms",
    "we sold {big} copies last year",
    "the bus comes every {small2} minutes",
    "{month} {ord} is a {day}",
    "my phone number ends in {d} {d} {d} {d}",
    "the code is {d} {d} {d} {d} {d} {d}",
    "chapter {small2} starts on page {num}",
]


def number_sentence(rng: random.Random) -> str:
    vals = {
        "day": rng.choice(DAYS),
        "month": rng.choice(MONTHS),
        "ord": ordinal_words(rng.randint(1, 31)),
        "year": year_words(rng.choice([rng.randint(1900, 2030), rng.randint(1500, 1899)])),
        "time": time_words(
            rng.randint(1, 12), rng.choice([0, 0, 5, 10, 15, 20, 30, 30, 45, rng.randint(1, 59)])
        ),
        "small": number_words(rng.randint(2, 12)),
        "small2": number_words(rng.randint(1, 99)),
        "num": number_words(rng.randint(1, 999)),
        "big": number_words(rng.choice([rng.randint(100, 9999), rng.randint(1000, 999999)])),
    }
    tpl = rng.choice(_NUMBER_TEMPLATES)
    while "{d}" in tpl:
        tpl = tpl.replace("{d}", rng.choice(_ONES[:10]), 1)
    return normalise(tpl.format(**vals))


# Held-out everyday sentences: never used for training (test set "everyday").
EVERYDAY_TEST = [
    "the weather is nice today",
    "can you send me the report by tomorrow morning",
    "i would like a cup of coffee with milk please",
    "the children are playing in the garden",
    "we should leave early to avoid the traffic",
    "please close the window before you go to bed",
    "my sister lives in a small house near the river",
    "the store closes at nine o'clock on weekdays",
    "do you know where i left my keys",
    "the new phone has a much better camera",
    "let's have dinner together on friday evening",
    "he forgot to turn off the lights in the kitchen",
    "the doctor said i need more sleep",
    "our team won the game last night",
    "it was raining all day so we stayed inside",
    "could you help me carry these boxes upstairs",
    "the library is open until six in the evening",
    "she reads a book every week",
    "i am looking forward to the summer holidays",
    "the price of bread has gone up again",
    "turn left at the next corner and keep going straight",
    "my computer is running very slowly today",
    "we planted tomatoes and beans in the spring",
    "the meeting has been moved to thursday afternoon",
    "please remember to water the plants",
    "the dog barked at the mailman this morning",
    "i need to buy some milk and eggs on the way home",
    "the movie was longer than we expected",
    "they are building a new school in our town",
    "he takes the bus to work every day",
    "the soup is too hot to eat right now",
    "we watched the sunset from the top of the hill",
    "can i pay with a credit card",
    "the baby is sleeping so please be quiet",
    "i lost my umbrella on the train",
    "the kitchen table needs a new coat of paint",
    "she called her mother on sunday",
    "the road was closed because of the snow",
    "my favourite colour is green",
    "we are going to the beach next weekend",
]

_EVERYDAY_TRAIN_TEMPLATES = [
    "i {verb} the {noun} {when}",
    "can you {verb} the {noun} for me",
    "we need to {verb} the {noun} {when}",
    "please {verb} the {noun}",
    "did you {verb} the {noun} {when}",
    "they will {verb} the {noun} {when}",
    "the {noun} is {adj}",
    "the {noun} was very {adj} {when}",
    "my {noun} is {adj} {when}",
    "is the {noun} {adj}",
]
_VERBS = [
    "open",
    "clean",
    "fix",
    "move",
    "check",
    "find",
    "bring",
    "take",
    "paint",
    "wash",
    "sell",
    "buy",
    "carry",
    "hold",
    "watch",
    "fold",
    "lock",
    "sort",
    "count",
    "clear",
    "empty",
    "fill",
    "cook",
    "order",
]
_NOUNS = [
    "door",
    "car",
    "window",
    "box",
    "letter",
    "table",
    "bag",
    "shirt",
    "floor",
    "wall",
    "bottle",
    "chair",
    "bike",
    "garage",
    "fridge",
    "sofa",
    "lamp",
    "desk",
    "basket",
    "bucket",
    "drawer",
    "jacket",
    "kettle",
    "oven",
    "shelf",
]
_ADJS = [
    "clean",
    "broken",
    "empty",
    "full",
    "ready",
    "heavy",
    "cold",
    "warm",
    "old",
    "new",
    "dirty",
    "open",
    "locked",
    "wet",
    "dry",
    "quiet",
    "noisy",
    "cheap",
    "expensive",
    "safe",
]
_WHENS = (
    "today tomorrow tonight yesterday later soon now again",
    "this morning",
    "this afternoon",
    "next week",
    "last night",
    "on monday",
    "before lunch",
    "after work",
)


def everyday_sentence(rng: random.Random) -> str:
    whens = _WHENS[0].split() + list(_WHENS[1:])
    tpl = rng.choice(_EVERYDAY_TRAIN_TEMPLATES)
    return normalise(
        tpl.format(
            verb=rng.choice(_VERBS), noun=rng.choice(_NOUNS), adj=rng.choice(_ADJS), when=rng.choice(whens)
        )
    )


def build_sentences(seed: int = 1234, n_numbers: int = 2500, n_everyday: int = 800):
    """Return (unique corpus sentences, generated sentences, everyday test set)."""
    rng = random.Random(seed)
    base = wordnet_examples() + fortune_sentences()
    test_norm = {normalise(s) for s in EVERYDAY_TEST}
    seen, uniq = set(), []
    for s in base:
        if s not in seen and s not in test_norm:
            seen.add(s)
            uniq.append(s)
    gen = [number_sentence(rng) for _ in range(n_numbers)]
    gen += [everyday_sentence(rng) for _ in range(n_everyday)]
    gen = [s for s in gen if s not in test_norm]
    return uniq, gen, [normalise(s) for s in EVERYDAY_TEST]
