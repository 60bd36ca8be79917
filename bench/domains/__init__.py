"""Domain sets written for the multilingual benchmark (bench/languages.py): one module per
language and domain, each with LANGUAGE, DOMAIN, TERMS, TRAIN and TEST (disjoint).

    python -m bench.domains.medical_de   # checks a set: counts, disjoint, terms covered, no digits
"""

import difflib
import re
import sys


def check(module) -> None:
    """Exit non-zero, listing what is wrong, unless the set holds its rules."""
    LANGUAGE, DOMAIN, TERMS, TRAIN, TEST = (
        module.LANGUAGE,
        module.DOMAIN,
        module.TERMS,
        module.TRAIN,
        module.TEST,
    )

    problems = []
    print(f"{LANGUAGE}/{DOMAIN}: {len(TERMS)} terms, {len(TRAIN)} train, {len(TEST)} test")
    if len(set(TRAIN)) != len(TRAIN):
        problems.append("duplicate sentences in TRAIN")
    if len(set(TEST)) != len(TEST):
        problems.append("duplicate sentences in TEST")
    if len(set(t.lower() for t in TERMS)) != len(TERMS):
        problems.append("duplicate terms")
    overlap = set(TRAIN) & set(TEST)
    if overlap:
        problems.append(f"TRAIN and TEST overlap: {sorted(overlap)}")
    for term in TERMS:
        low = term.lower()
        n_train = sum(low in s.lower() for s in TRAIN)
        n_test = sum(low in s.lower() for s in TEST)
        if n_train < 2 or n_test < 1:
            problems.append(f"term {term!r}: {n_train} in TRAIN, {n_test} in TEST")
    for name, sentences in (("TRAIN", TRAIN), ("TEST", TEST)):
        for s in sentences:
            words = [w for w in s.split() if re.search(r"\w", w)]
            if re.search(r"\d", s):
                problems.append(f"{name} has a digit: {s!r}")
            if not 8 <= len(words) <= 18:
                problems.append(f"{name} has {len(words)} words: {s!r}")
            if not s[0].isupper() or s[-1] not in ".?" or "  " in s or s != s.strip():
                problems.append(f"{name} capitalisation/punctuation: {s!r}")
    for t in TEST:
        for s in TRAIN:
            ratio = difflib.SequenceMatcher(None, t.lower(), s.lower()).ratio()
            if ratio >= 0.75:
                problems.append(f"near-copy ({ratio:.2f}): {t!r} ~ {s!r}")
    print(f"train words {sum(len(s.split()) for s in TRAIN)}, test words {sum(len(s.split()) for s in TEST)}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("OK: TRAIN/TEST disjoint, every term twice in TRAIN and once in TEST, no digits")
