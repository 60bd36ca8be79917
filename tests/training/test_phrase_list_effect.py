"""The evaluation's view of a phrase list: recall gained, and phrases written where nobody said them."""

from training import metrics
from training.evaluation import phrase_list_effect


def test_recall_with_and_without_the_list_and_false_insertions_are_counted():
    references = ["we started apixaban today", "the weather is fine", "apixaban twice daily"]
    without = ["we started a big cabin today", "the weather is fine", "a pick saban twice daily"]
    with_list = ["we started apixaban today", "the weather is apixaban fine", "apixaban twice daily"]
    with metrics.scoring("en"):
        effect = phrase_list_effect(["apixaban"], [], references, without, with_list)
    assert effect["recall"] == {"without": 0.0, "with": 100.0}
    assert effect["false_insertions"] == {"without": 0, "with": 1}
    assert effect["false_insertions_per_100_utterances"] == 33.33
    assert effect["wer"]["with"] < effect["wer"]["without"]
