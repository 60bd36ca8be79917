import pytest

from training.metrics import error_rates, normalise, training_metrics


def test_normaliser_lowercases_and_strips_punctuation():
    assert normalise("Hello, World!  It's  DONE.") == "hello world it is done"


def test_cased_punctuated_output_is_not_charged_for_its_style():
    reference = "the patient takes twenty five milligrams of metoprolol at the doctor's office"
    hypothesis = "The patient takes 25 milligrams of metoprolol at the Doctor's office."
    assert error_rates([reference], [hypothesis]) == (0.0, 0.0)
    assert error_rates(["the colour of the sky"], ["The color of the sky."]) == (0.0, 0.0)


def test_a_wrong_word_still_counts_after_normalising():
    wer, _ = error_rates(["The patient has atrial fibrillation."], ["The patient has a trial fibrillation."])
    assert wer == pytest.approx(100 * 2 / 5)


def test_error_rates_on_known_hypotheses():
    wer, cer = error_rates(["the cat sat", "on the mat"], ["the cat sat", "on a mat"])
    assert wer == pytest.approx(100 * 1 / 6, abs=0.01)
    assert cer == pytest.approx(100 * 3 / 21, abs=0.01)  # "the" -> "a": 3 edits over 21 characters


def test_training_metrics_report_relative_improvement():
    refs = ["atrial fibrillation noted", "start apixaban today", "no effusion seen", "follow up soon"]
    base = ["a trial fibrillation noted", "start a pick saban today", "no fusion seen", "follow up soon"]
    custom = ["atrial fibrillation noted", "start apixaban today", "no fusion seen", "follow up soon"]
    metrics = training_metrics(
        references=refs, base_hypotheses=base, custom_hypotheses=custom, training_seconds=5400
    )
    # base: 2 + 3 + 1 + 0 = 6 errors in 12 words; custom: 1 in 12
    assert metrics["base_word_error_rate"] == pytest.approx(50.0)
    assert metrics["word_error_rate"] == pytest.approx(8.33, abs=0.01)
    assert metrics["accuracy_improvement"] == pytest.approx(83.33, abs=0.01)
    assert metrics["training_hours"] == 1.5
    assert metrics["test_utterances"] == 4
    assert "Whisper" in metrics["normaliser"] and "lower-case" in metrics["normaliser"]


def test_a_worse_model_shows_a_negative_improvement():
    metrics = training_metrics(
        references=["a b"], base_hypotheses=["a c"], custom_hypotheses=["c c"], training_seconds=1
    )
    assert metrics["accuracy_improvement"] == pytest.approx(-100.0)
