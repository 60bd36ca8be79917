"""The details page's Evaluation section: cards, curve, key terms, and the utterance table."""

import re

import pytest
from django.core.files.storage import default_storage

from custom_models.models import TrainingStatus
from panel.templatetags.evaluation import curve_chart, points, word_diff
from tests.training.evaluations import EVALUATION, D, E, I, S, evaluated_model, evaluated_run


@pytest.fixture
def model(owner):
    return evaluated_model(owner)


def section(client, model, query: str = "", **headers) -> str:
    response = client.get(f"/custom-models/{model.pk}/evaluation/{query}", **headers)
    assert response.status_code == 200, response.content
    return response.content.decode()


def rows(html: str) -> list[int]:
    return [int(p) for p in re.findall(r'<tr data-position="(\d+)"', html)]


def card(html: str, key: str) -> str:
    match = re.search(rf'data-testid="card-{key}">(.*?)</div>\s*</div>', html, re.S)
    assert match, key
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def test_details_page_asks_for_the_section_at_success(owner, model, login):
    html = login(owner).get(f"/custom-models/{model.pk}/").content.decode()
    assert f'hx-get="/custom-models/{model.pk}/evaluation/" hx-trigger="load"' in html
    assert "panel/evaluation.js" in html


@pytest.mark.parametrize("status", [s for s in TrainingStatus if s != TrainingStatus.SUCCESS])
def test_details_page_has_no_section_before_success(owner, make_model, login, status):
    model = make_model(status=status)
    html = login(owner).get(f"/custom-models/{model.pk}/").content.decode()
    assert "/evaluation/" not in html


def test_cards_show_wer_key_term_recall_and_general_speech(owner, model, login):
    html = section(login(owner), model)
    assert "39.3% → 25.0%" in card(html, "wer") and "−14.3 points" in card(html, "wer")
    assert 'eval-better" data-testid="card-wer"' in html  # the WER went down
    assert "20.0% → 80.0%" in card(html, "terms") and "+60.0 points" in card(html, "terms")
    anchor = card(html, "anchor")
    assert "+1.2 WER points" in anchor and "8.1% → 9.3%" in anchor and "passed the gate of 2.0" in anchor
    assert "Failed" not in anchor


def test_a_failed_gate_is_marked_failed(owner, login):
    evaluation = {**EVALUATION, "anchor": {**EVALUATION["anchor"], "change": 3.4, "passed": False}}
    model = evaluated_model(owner, name="Overfitted", evaluation=evaluation)
    html = section(login(owner), model)
    assert 'eval-failed" data-testid="card-anchor"' in html
    assert "+3.4 WER points" in card(html, "anchor")
    assert "Failed: worse on everyday speech than allowed" in html


def test_missing_terms_anchor_and_curve_say_not_measured(owner, login):
    older = {key: value for key, value in EVALUATION.items() if key not in {"terms", "anchor", "curve"}}
    model = evaluated_model(owner, name="Older", evaluation=older)
    html = section(login(owner), model)
    assert "not measured" in card(html, "terms") and "not measured" in card(html, "anchor")
    assert 'data-testid="curve-missing"' in html and '<svg class="curve-chart"' not in html
    assert rows(html) == [0, 1, 2, 3, 4, 5]


def test_training_curve_is_an_svg_without_inline_style(owner, model, login):
    html = section(login(owner), model)
    svg = re.search(r'<svg class="curve-chart".*?</svg>', html, re.S).group(0)
    assert 'data-testid="training-curve"' in svg
    assert svg.count("<polyline") == 3  # training loss, validation loss, validation WER
    assert "Epoch 4: validation WER 20.5%" in svg
    assert "style=" not in html and "<script>" not in html  # the CSP allows neither


def test_key_terms_table_lists_term_occurrences_and_recalls(owner, model, login):
    html = section(login(owner), model)
    table = re.search(r'<table class="table terms".*?</table>', html, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>.*?</td>", table, re.S)]
    assert cells[:4] == ["atrial fibrillation", "1", "0.0%", "100.0%"]
    assert cells[8:12] == ["echocardiogram", "1", "100.0%", "0.0%"]


def test_utterance_rows_play_their_clip_and_diff_base_and_custom(owner, model, login):
    html = section(login(owner), model)
    assert rows(html) == [0, 1, 2, 3, 4, 5]
    assert f'data-clip="/custom-models/{model.pk}/evaluation/clips/0/"' in html
    assert '<span class="w w-sub" title="said: atrial">a</span>' in html
    assert '<ins class="w w-ins" title="not said">trial</ins>' in html
    assert '<del class="w w-del" title="missed">twice</del>' in html
    assert "repetition loop" in html and "burst of inserted words" in html


def test_filter_fragment_shows_only_that_outcome(owner, model, login, htmx):
    client = login(owner)
    for outcome, expected in [
        ("improved", [0, 1, 5]),
        ("worse", [2, 4]),
        ("unchanged", [3]),
        ("flagged", [4]),
    ]:
        response = client.get(f"/custom-models/{model.pk}/evaluation/utterances/?outcome={outcome}", **htmx)
        html = response.content.decode()
        assert response.status_code == 200
        assert html.lstrip().startswith('<div id="evaluation-utterances"')
        assert rows(html) == expected
        assert re.search(rf'aria-pressed="true"\s+hx-get="[^"]*\?outcome={outcome}"', html)
    everything = client.get(f"/custom-models/{model.pk}/evaluation/utterances/?outcome=nonsense", **htmx)
    assert rows(everything.content.decode()) == [0, 1, 2, 3, 4, 5]


def test_the_table_pages_by_twenty(owner, model, login, htmx, monkeypatch):
    monkeypatch.setattr("panel.views_evaluation.PAGE_SIZE", 2)
    client = login(owner)
    html = client.get(f"/custom-models/{model.pk}/evaluation/utterances/?outcome=&page=2", **htmx)
    html = html.content.decode()
    assert rows(html) == [2, 3] and "Page 2 of 3" in html
    assert f"/custom-models/{model.pk}/evaluation/utterances/?page=3" in html


def test_a_clip_is_served_with_ranges(owner, model, login):
    client = login(owner)
    utterance = model.training_runs.get().utterances.get(position=2)
    with default_storage.open(utterance.clip, "rb") as clip:
        data = clip.read()
    whole = client.get(f"/custom-models/{model.pk}/evaluation/clips/2/")
    assert whole.status_code == 200 and whole["Content-Type"] == "audio/flac"
    assert b"".join(whole.streaming_content) == data
    part = client.get(f"/custom-models/{model.pk}/evaluation/clips/2/", HTTP_RANGE="bytes=4-99")
    assert part.status_code == 206 and b"".join(part.streaming_content) == data[4:100]
    assert client.get(f"/custom-models/{model.pk}/evaluation/clips/9/").status_code == 404


def test_a_model_without_evaluation_says_not_measured(owner, make_model, login):
    model = make_model(status=TrainingStatus.SUCCESS)
    html = section(login(owner), model)
    assert 'data-testid="evaluation-missing"' in html
    assert login(owner).get(f"/custom-models/{model.pk}/evaluation/utterances/").status_code == 404


def test_outsider_sees_nothing(outsider, model, login):
    client = login(outsider)
    for suffix in ("", "utterances/", "clips/0/"):
        assert client.get(f"/custom-models/{model.pk}/evaluation/{suffix}").status_code == 404


def test_the_latest_run_is_shown(owner, model, login):
    newer = {
        **EVALUATION,
        "totals": {**EVALUATION["totals"], "base": {**EVALUATION["totals"]["base"], "wer": 50}},
    }
    evaluated_run(model, evaluation=newer)
    assert "50.0% → 25.0%" in card(section(login(owner), model), "wer")


def test_word_diff_marks_each_op_and_escapes():
    html = word_diff([E("the"), S("<b>", "x"), I("uh"), D("day")])
    assert html == (
        '<span class="w">the</span> <span class="w w-sub" title="said: &lt;b&gt;">x</span> '
        '<ins class="w w-ins" title="not said">uh</ins> <del class="w w-del" title="missed">day</del>'
    )


def test_points_are_signed():
    assert [points(1.24), points(-0.5), points(0.01), points(None)] == ["+1.2", "−0.5", "±0", "—"]


def test_a_one_epoch_curve_is_drawn():
    svg = curve_chart([{"epoch": 1, "loss": 0.5, "valid_loss": None, "valid_wer": None}])
    assert svg.count("<polyline") == 1 and "1 epoch:" in svg
