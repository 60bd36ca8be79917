"""The Vocabulary section of the details page: phrases, display rules and text files."""

import json

import pytest
from django.utils.html import escape

from custom_models.models import CustomModel, Vocabulary
from custom_models.vocabulary import vocabulary_of_model, vocabulary_update
from tests.datasets.factories import add_file

TOO_MANY = "At most 1000 phrases are allowed (1001 were sent)."
EMPTY_SIDE = "Neither side of a rule can be empty: a rule never deletes words."


@pytest.fixture
def model(make_model) -> CustomModel:
    return make_model()


@pytest.fixture
def taught(model) -> CustomModel:
    """A model with two phrases and one display rule stored."""
    vocabulary_update(
        vocabulary=vocabulary_of_model(model=model),
        phrases=["Kubernetes", "Dr. Okonkwo"],
        display_rules=[{"written": "cooper netties", "display": "Kubernetes"}],
    )
    return model


def page(client, model) -> str:
    return client.get(f"/custom-models/{model.pk}/").content.decode()


def stored(model) -> Vocabulary:
    return vocabulary_of_model(model=model)


def post_phrases(client, model, text: str, **headers):
    return client.post(f"/custom-models/{model.pk}/vocabulary/phrases/", {"phrases": text}, **headers)


def post_rules(client, model, rows: list[tuple[str, str]], **headers):
    data = {"written": [w for w, _ in rows], "display": [d for _, d in rows]}
    return client.post(f"/custom-models/{model.pk}/vocabulary/display-rules/", data, **headers)


def test_page_renders_for_a_model_with_no_vocabulary(owner, model, login):
    response = login(owner).get(f"/custom-models/{model.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="vocabulary-section"' in html
    assert "0 of 1,000 phrases" in html and "0 of 1,000 rules" in html
    assert 'data-testid="text-files-empty"' in html
    assert not Vocabulary.objects.filter(custom_model=model).exists()  # showing it stores nothing


def test_section_shows_the_stored_phrases_and_rules(member, taught, login):
    html = page(login(member), taught)
    assert "2 of 1,000 phrases" in html
    # The box holds the phrases one a line, and remembers them for the Save button.
    assert f">\n{escape('Kubernetes')}\n{escape('Dr. Okonkwo')}</textarea>" in html
    assert 'data-initial="Kubernetes\nDr. Okonkwo"' in html
    assert "1 of 1,000 rules" in html
    assert 'name="written" value="cooper netties"' in html
    assert 'name="display" value="Kubernetes"' in html
    assert escape(json.dumps([["cooper netties", "Kubernetes"]], separators=(",", ":"))) in html


def test_section_sits_below_the_datasets(owner, model, login):
    html = page(login(owner), model)
    assert html.index('id="datasets"') < html.index('id="vocabulary"')


def test_saving_phrases_stores_them_cleaned(member, model, login, htmx):
    response = post_phrases(
        login(member), model, "Kubernetes\r\n\r\n  kubernetes \r\nDr.  Okonkwo\r\n", **htmx
    )
    assert response.status_code == 200
    assert stored(model).phrases == ["Kubernetes", "Dr. Okonkwo"]  # blank line skipped, duplicate dropped
    assert json.loads(response["HX-Trigger"])["toast"] == {"message": "Phrases saved", "level": "success"}
    html = response.content.decode()
    assert 'id="vocabulary-phrases-form"' in html and "2 of 1,000 phrases" in html
    assert 'data-initial="Kubernetes\nDr. Okonkwo"' in html


def test_saving_an_empty_box_clears_the_phrases(owner, taught, login, htmx):
    assert post_phrases(login(owner), taught, "", **htmx).status_code == 200
    assert stored(taught).phrases == []


def test_too_many_phrases_are_refused_with_the_message_and_nothing_changes(owner, taught, login, htmx):
    typed = "\n".join(f"term {n}" for n in range(1001))
    response = post_phrases(login(owner), taught, typed, **htmx)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html and TOO_MANY in html
    assert "term 1000</textarea>" in html  # the box keeps what was typed
    assert "1,001 of 1,000 phrases" in html
    assert stored(taught).phrases == ["Kubernetes", "Dr. Okonkwo"]


def test_a_refused_phrase_is_named_by_its_line(owner, taught, login, htmx):
    response = post_phrases(login(owner), taught, "Kubernetes\n\n" + "x" * 101, **htmx)
    assert response.status_code == 422
    html = response.content.decode()
    assert "phrases[1]: At most 100 characters (101 given). (line 3 of the box)" in html
    assert 'aria-invalid="true"' in html
    assert stored(taught).phrases == ["Kubernetes", "Dr. Okonkwo"]


def test_saving_rules_stores_them(member, model, login, htmx):
    rows = [("cooper netties", " Kubernetes "), ("", ""), ("dr okonkwo", "Dr. Okonkwo")]
    response = post_rules(login(member), model, rows, **htmx)
    assert response.status_code == 200
    assert stored(model).display_rules == [
        {"written": "cooper netties", "display": "Kubernetes"},
        {"written": "dr okonkwo", "display": "Dr. Okonkwo"},
    ]
    assert json.loads(response["HX-Trigger"])["toast"]["message"] == "Display rules saved"
    assert "2 of 1,000 rules" in response.content.decode()


def test_a_rule_with_an_empty_display_side_is_refused_with_the_message(owner, taught, login, htmx):
    rows = [("cooper netties", "Kubernetes"), ("okonkwo", "")]
    response = post_rules(login(owner), taught, rows, **htmx)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html and f"display_rules[1]: {escape(EMPTY_SIDE)}" in html
    assert 'class="rule-invalid"' in html and 'name="written" value="okonkwo"' in html  # kept as typed
    assert stored(taught).display_rules == [{"written": "cooper netties", "display": "Kubernetes"}]


def test_a_cleared_table_removes_every_rule(owner, taught, login, htmx):
    assert post_rules(login(owner), taught, [("", "")], **htmx).status_code == 200
    assert stored(taught).display_rules == []


def test_a_plain_form_post_redirects_with_a_message_or_shows_the_page_with_the_error(owner, taught, login):
    client = login(owner)
    response = post_phrases(client, taught, "Kubernetes\nkubectl")
    assert response.status_code == 302 and response["Location"].endswith(
        f"/custom-models/{taught.pk}/#vocabulary"
    )
    assert "Phrases saved" in client.get(response["Location"]).content.decode()

    refused = post_rules(client, taught, [("okonkwo", "")])
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "<h1>" in html and escape(EMPTY_SIDE) in html  # the whole page, the form as typed
    assert stored(taught).phrases == ["Kubernetes", "kubectl"]


def test_outsider_gets_404_on_the_vocabulary_urls(outsider, taught, login, htmx):
    client = login(outsider)
    assert post_phrases(client, taught, "Globex", **htmx).status_code == 404
    assert post_rules(client, taught, [("a", "b")], **htmx).status_code == 404
    assert client.get(f"/custom-models/{taught.pk}/vocabulary/text-files/", **htmx).status_code == 404
    assert stored(taught).phrases == ["Kubernetes", "Dr. Okonkwo"]
    assert stored(taught).display_rules == [{"written": "cooper netties", "display": "Kubernetes"}]


def test_text_files_are_listed_with_size_and_sentences(owner, model, login, htmx):
    add_file(model, "cardiology.txt", "text", size=2048, segment_count=1250)
    add_file(model, "talk1.txt", "transcript")
    client = login(owner)
    html = client.get(f"/custom-models/{model.pk}/vocabulary/text-files/", **htmx).content.decode()
    assert "cardiology.txt" in html and "2.0\xa0KB" in html and "1,250" in html
    assert "talk1.txt" not in html  # a transcript is no text file
    assert 'hx-trigger="datasetsChanged from:body"' in html  # follows uploads and deletes


def test_the_upload_dialog_offers_text(owner, model, login):
    html = page(login(owner), model)
    assert '<option value="text">Text (domain sentences, no audio)</option>' in html
    extensions = json.loads(
        html.split('id="dataset-extensions" type="application/json">')[1].split("</script>")[0]
    )
    assert extensions["text"] == [".txt"]
