"""Word n-gram language model + lexicon files for CTC beam search (pure Python).

* :func:`build_lm` estimates an interpolated modified-Kneser-Ney-style n-gram
  model (absolute discounting with continuation counts for lower orders) from
  normalised text and writes it as a standard ARPA file (optionally gzipped), so
  KenLM tools can read it as well.
* :class:`ArpaLM` loads such a file for scoring (log10 probabilities, back-off).
* :func:`write_lexicon` writes the ``WORD W O R D |`` spelling lexicon used by
  the lexicon-constrained decoder.
"""

from __future__ import annotations

import gzip
import math
from collections import Counter, defaultdict
from pathlib import Path

BOS, EOS, UNK = "<s>", "</s>", "<unk>"


def _open(path: Path, mode: str):
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def build_lm(
    sentences, out_path: Path, order: int = 3, discount: float = 0.7, min_count_top: int = 2, extra_words=()
) -> dict:
    """Estimate an interpolated Kneser-Ney n-gram LM and write it in ARPA format.

    ``min_count_top``: highest-order n-grams seen fewer times are pruned (their
    mass goes to the back-off), which keeps the file small.
    ``extra_words``: vocabulary (e.g. dictionary lemmas) added as unigrams with a
    continuation count of one, so the decoder can output them.
    """
    counts = [Counter() for _ in range(order + 1)]  # counts[n][ngram tuple]
    for s in sentences:
        words = [BOS] + s.split() + [EOS]
        for n in range(1, order + 1):
            for i in range(len(words) - n + 1):
                ng = tuple(words[i : i + n])
                if n == 1 and ng == (BOS,):
                    continue
                counts[n][ng] += 1
    # Continuation counts for lower orders: number of distinct left contexts.
    cont = [Counter() for _ in range(order + 1)]
    for n in range(2, order + 1):
        for ng in counts[n]:
            cont[n - 1][ng[1:]] += 1
    # The BOS-initial n-grams have no left context: keep their raw counts.
    for n in range(1, order):
        for ng, c in counts[n].items():
            if ng[0] == BOS:
                cont[n][ng] = c

    for w in extra_words:
        if (w,) not in counts[1]:
            counts[1][(w,)] = 1
            cont[1][(w,)] = 1

    def eff(n):
        return counts[n] if n == order else cont[n]

    kept = {}
    for n in range(1, order + 1):
        if n == order and min_count_top > 1:
            kept[n] = {ng: c for ng, c in counts[n].items() if c >= min_count_top}
        else:
            kept[n] = dict(eff(n))
    # context totals and number of distinct followers (over the full counts)
    ctx_total = [defaultdict(int) for _ in range(order + 1)]
    ctx_types = [defaultdict(int) for _ in range(order + 1)]
    for n in range(2, order + 1):
        for ng, c in eff(n).items():
            ctx_total[n][ng[:-1]] += c
            ctx_types[n][ng[:-1]] += 1

    vocab = sorted({ng[0] for ng in counts[1]} | {UNK})
    probs: list[dict] = [dict() for _ in range(order + 1)]
    # unigrams: discounted continuation counts interpolated with uniform
    total1 = sum(cont[1].values()) or 1
    types1 = len(cont[1])
    for w in vocab:
        c = cont[1].get((w,), 0)
        p = max(c - discount, 0) / total1 + (discount * types1 / total1) / len(vocab)
        probs[1][(w,)] = p
    for n in range(2, order + 1):
        for ng, c in kept[n].items():
            h = ng[:-1]
            gamma = discount * ctx_types[n][h] / ctx_total[n][h]
            probs[n][ng] = max(c - discount, 0) / ctx_total[n][h] + gamma * _interp(probs, ng[1:])
    backoff: list[dict] = [dict() for _ in range(order + 1)]
    for n in range(1, order):
        for h, tot in ctx_total[n + 1].items():
            if h in probs[n]:
                backoff[n][h] = discount * ctx_types[n + 1][h] / tot

    out_path = Path(out_path)
    with _open(out_path, "w") as f:
        f.write("\n\\data\\\n")
        for n in range(1, order + 1):
            f.write(f"ngram {n}={len(probs[n]) + (1 if n == 1 else 0)}\n")
        for n in range(1, order + 1):
            f.write(f"\n\\{n}-grams:\n")
            if n == 1:
                f.write(f"-99\t{BOS}\t{math.log10(backoff[1].get((BOS,), 1.0)):.4f}\n")
            for ng, p in sorted(probs[n].items()):
                line = f"{math.log10(p):.4f}\t{' '.join(ng)}"
                if n < order:
                    line += f"\t{math.log10(backoff[n].get(ng, 1.0)):.4f}"
                f.write(line + "\n")
        f.write("\n\\end\\\n")
    return {"order": order, "ngrams": {n: len(probs[n]) for n in range(1, order + 1)}, "vocab": len(vocab)}


def _interp(probs, ng):
    """Probability of ng using already-computed lower-order entries (back-off form)."""
    n = len(ng)
    if ng in probs[n]:
        return probs[n][ng]
    if n == 1:
        return probs[1][(UNK,)]
    return _interp(probs, ng[1:])  # lower orders are complete in our estimate


class ArpaLM:
    """Minimal ARPA reader/scorer (log10 domain)."""

    def __init__(self, path: Path):
        self.prob: dict[tuple, float] = {}
        self.bow: dict[tuple, float] = {}
        self.order = 0
        section = 0
        with _open(path, "r") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                if line.startswith("\\"):
                    if line.endswith("-grams:"):
                        section = int(line[1 : line.index("-")])
                        self.order = max(self.order, section)
                    else:
                        section = 0
                    continue
                if section == 0:
                    continue
                parts = line.split("\t")
                ng = tuple(parts[1].split(" "))
                self.prob[ng] = float(parts[0])
                if len(parts) > 2:
                    self.bow[ng] = float(parts[2])
        self.vocab = {ng[0] for ng in self.prob if len(ng) == 1}

    def logprob(self, context: tuple, word: str) -> float:
        """log10 P(word | context); context is a tuple of previous words."""
        if (word,) not in self.prob:
            word = UNK
        context = context[-(self.order - 1) :] if self.order > 1 else ()
        penalty = 0.0
        while True:
            ng = context + (word,)
            if ng in self.prob:
                return penalty + self.prob[ng]
            if not context:
                return penalty + self.prob.get((UNK,), -7.0)
            penalty += self.bow.get(context, 0.0)
            context = context[1:]

    def sentence_logprob(self, sentence: str) -> float:
        ctx, total = (BOS,), 0.0
        for w in sentence.split() + [EOS]:
            total += self.logprob(ctx, w)
            ctx = ctx + (w,)
        return total


def write_lexicon(words, path: Path) -> int:
    """One line per word: ``WORD W O R D |`` (``|`` = word boundary token);
    gzipped when ``path`` ends in .gz."""
    words = sorted({w for w in words if w and w not in (BOS, EOS, UNK)})
    with _open(Path(path), "w") as f:
        for w in words:
            f.write(f"{w}\t{' '.join(w)} |\n")
    return len(words)


def write_tokens(tokens, path: Path) -> None:
    Path(path).write_text("\n".join(tokens) + "\n", encoding="utf-8")


def read_lexicon_words(path: Path) -> list[str]:
    """Words of a lexicon file (plain or .gz), in file order, without duplicates."""
    words = []
    with _open(Path(path), "r") as f:
        for line in f:
            if line.strip():
                words.append(line.split()[0])
    return list(dict.fromkeys(words))


def read_unigram_log10(model_dir: Path) -> dict[str, float]:
    """The language model's unigram log10 probabilities by lower-case word ({} without an LM)."""
    path = next(
        (p for p in (Path(model_dir) / "lm.arpa.gz", Path(model_dir) / "lm.arpa") if p.exists()), None
    )
    if path is None:
        return {}
    unigrams: dict[str, float] = {}
    section = ""
    with _open(path, "r") as f:
        for line in f:
            line = line.strip()
            if line.startswith("\\"):
                section = line
                if section == "\\2-grams:":
                    break
            elif section == "\\1-grams:" and line:
                fields = line.split("\t")
                unigrams[fields[1].lower()] = float(fields[0])
    return unigrams


def wordnet_lemmas(wordnet_dir: Path = Path("/usr/share/wordnet")) -> set[str]:
    """Single-word WordNet lemmas and their irregular inflections, upper-cased."""
    import re

    out = set()
    for part in ("noun", "verb", "adj", "adv"):
        for name in (f"index.{part}", f"{part}.exc"):
            p = Path(wordnet_dir) / name
            if not p.exists():
                continue
            for line in p.read_text(encoding="latin-1").splitlines():
                if line.startswith(" "):
                    continue
                fields = line.split()[:1] if name.startswith("index") else line.split()
                for w in fields:
                    if re.fullmatch(r"[a-z]+('[a-z]+)?", w) and len(w) > 1 or w in ("a", "i"):
                        out.add(w.upper())
    return out
