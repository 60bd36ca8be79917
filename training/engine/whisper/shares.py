"""How much of the trained change ships: the shares of it measured on the validation split and
on the anchor set (everyday speech), the search from the whole change down, the choice, and the
blend itself (base + share x change)."""

from __future__ import annotations

import torch

# How far the shipped weights go from the base's towards the trained ones: each share is measured
# on the validation split and on the anchor set (everyday speech in the model's language), and the
# share with the best validation WER whose everyday speech stays within the budget ships.
SHARES = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
# The regression gate measures the served copy (CTranslate2, beam 5) and these figures are the
# PyTorch copy's (greedy): half the gate's limit keeps a margin for the difference.
ANCHOR_BUDGET_SHARE = 0.5
# Without an anchor set (a language with no everyday sentences) nothing measures forgetting: the
# share stays at or under the one measured on English (module docstring of `training`).
UNMEASURED_MAX_SHARE = 0.7


@torch.no_grad()
def blend(model, anchor: dict[str, torch.Tensor], interpolation: float) -> None:
    """Move the trained weights back towards the base's (`anchor`): base + interpolation x change."""
    for name, parameter in model.named_parameters():
        if name in anchor:
            parameter.lerp_(anchor[name].to(parameter.device), 1 - interpolation)


class Blender:
    """Moves the shipped weights to another share of the trained change (the served copy's own
    check of everyday speech may ask for less of it than the PyTorch figures chose), and measures
    a share the search did not reach."""

    def __init__(self, whisper, best_state: dict, base_state: dict, measure, shares) -> None:
        self.whisper, self.best_state, self.base_state = whisper, best_state, base_state
        self.measure, self.shares = measure, tuple(shares)

    def to(self, share: float) -> None:
        self.whisper.model.load_state_dict(self.best_state, strict=False)
        blend(self.whisper.model, self.base_state, share)


def _allowed(measured: list[dict], budget: float) -> list[dict]:
    """The trained shares that may ship: everyday WER at most `budget` points over the base's, or
    without an anchor set, at most UNMEASURED_MAX_SHARE."""
    base = next(m for m in measured if m["share"] == 0.0)
    trained = [m for m in measured if m["share"] > 0.0]
    if base["anchor_wer"] is None:
        return [m for m in trained if m["share"] <= UNMEASURED_MAX_SHARE]
    # A share the search did not hear on everyday speech (it could not win on validation) is not allowed.
    return [
        m for m in trained if m["anchor_wer"] is not None and m["anchor_wer"] - base["anchor_wer"] <= budget
    ]


def search_done(measured: list[dict], *, budget: float) -> bool:
    """Whether a smaller share can still change `choose_share`'s answer, the shares measured from
    the largest down (share 0 first). Validation WER falls as the share grows on the runs logged
    here, so once an allowed share is the best, a smaller share that validates worse ends the
    search; so does a perfect allowed score (ties go to the larger share)."""
    allowed = _allowed(measured, budget)
    if not allowed:
        return False
    best = min(allowed, key=lambda m: (m["valid_wer"], -m["share"]))
    return best["valid_wer"] == 0.0 or measured[-1]["valid_wer"] > best["valid_wer"]


def choose_share(measured: list[dict], *, budget: float) -> dict:
    """The share of the trained change to ship, from what each share measured.

    `measured`: one {"share", "valid_wer", "anchor_wer" (None without an anchor set)} per share,
    share 0.0 (the base) among them. A share is allowed when its everyday WER is at most `budget`
    points over the base's; among the allowed, the best validation WER wins, ties going to the
    larger share (more of the domain). When no share keeps everyday speech within budget, the
    one that forgets least ships and the regression gate decides. Returns the chosen row with "why".
    """
    base = next(m for m in measured if m["share"] == 0.0)
    trained = [m for m in measured if m["share"] > 0.0]
    allowed = _allowed(measured, budget)
    if base["anchor_wer"] is None:
        best = min(allowed or trained, key=lambda m: (m["valid_wer"], -m["share"]))
        return {
            **best,
            "why": f"no everyday set to measure forgetting, so at most {UNMEASURED_MAX_SHARE:.0%}",
        }
    if not allowed:
        heard = [m for m in trained if m["anchor_wer"] is not None]
        best = min(heard, key=lambda m: (m["anchor_wer"], m["valid_wer"], -m["share"]))
        return {
            **best,
            "why": f"every share forgets everyday speech by more than {budget:g} points; the least forgetful",
        }
    best = min(allowed, key=lambda m: (m["valid_wer"], -m["share"]))
    return {
        **best,
        "why": f"the best validation WER with everyday speech at most {budget:g} WER points over the base's "
        f"({base['anchor_wer']:.1f}% -> {best['anchor_wer']:.1f}%)",
    }
