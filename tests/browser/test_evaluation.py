"""The Evaluation section in a real browser: it loads, a clip plays, the table filters.

With PANEL_SCREENSHOTS=docs/screenshots it saves evaluation.png (cards, curve, key terms)
and evaluation-utterances.png (the table, a clip playing).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.training.evaluations import evaluated_model

pytestmark = pytest.mark.integration

PLAYING = """() => {
  const player = document.getElementById("evaluation-player");
  return player && !player.paused && player.currentTime > 0.2;
}"""


def test_evaluation_section_plays_a_clip_and_filters_the_table(owner, log_in, screenshot):
    model = evaluated_model(owner)
    page = log_in(owner)
    page.goto(f"/custom-models/{model.pk}/")

    section = page.locator("#evaluation")
    expect(page.get_by_test_id("card-wer")).to_contain_text("39.3% → 25.0%")
    expect(page.get_by_test_id("card-terms")).to_contain_text("20.0% → 80.0%")
    expect(page.get_by_test_id("card-anchor")).to_contain_text("+1.2 WER points")
    expect(page.get_by_test_id("training-curve")).to_be_visible()
    expect(page.get_by_test_id("key-terms")).to_contain_text("apixaban")
    section.evaluate("element => element.scrollIntoView()")
    screenshot(page, "evaluation.png")

    table = page.get_by_test_id("evaluation-utterances")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(6)
    play = table.get_by_role("button", name="Play utterance 2")
    play.click()
    page.wait_for_function(PLAYING)  # the clip really plays: its time advances
    expect(play).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("evaluation-player")).to_be_visible()
    page.locator("h3", has_text="Utterances").evaluate("element => element.scrollIntoView()")
    screenshot(page, "evaluation-utterances.png")
    play.click()  # pressed again: pause
    expect(play).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("() => document.getElementById('evaluation-player').paused")

    table.get_by_role("button", name=re.compile(r"^Worse")).click()
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-outcome", "worse")
    worse = table.get_by_role("button", name=re.compile(r"^Worse"))
    expect(worse).to_have_attribute("aria-pressed", "true")
    table.get_by_role("button", name=re.compile(r"^Flagged")).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("repetition loop")

    # A row swapped in by the filter plays too.
    table.get_by_role("button", name="Play utterance 5").click()
    page.wait_for_function(PLAYING)
    table.get_by_role("button", name=re.compile(r"^All")).click()
    expect(rows).to_have_count(6)
