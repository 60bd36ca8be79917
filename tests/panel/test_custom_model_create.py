"""The create dialog: the service's errors come back inside the dialog, with the spec's wording."""

from custom_models.models import CustomModel, Language, TrainingStatus


def create(client, htmx, **data):
    return client.post("/custom-models/new/", {"name": "Cardiology EN", "language": "en", **data}, **htmx)


def test_create_answers_a_fresh_form_a_toast_and_a_list_refresh(owner, login, htmx):
    response = create(login(owner), htmx)
    assert response.status_code == 200
    model = CustomModel.objects.get()
    assert (model.name, model.language.code, model.training_status) == (
        "Cardiology EN",
        "en",
        TrainingStatus.NOT_RUNNING,
    )
    assert model.created_by == owner.user
    assert response["HX-Trigger"] == (
        '{"toast": {"message": "Custom model created successfully", "level": "success"}, '
        '"customModelsChanged": {}}'
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="create-form"')
    assert 'value=""' in html  # the name field is blank again


def test_a_member_can_create(member, login, htmx):
    assert create(login(member), htmx).status_code == 200
    assert CustomModel.objects.count() == 1


def test_one_character_name_is_refused_with_the_services_message(owner, login, htmx):
    response = create(login(owner), htmx, name="A")
    assert response.status_code == 422
    html = response.content.decode()
    assert "Name must be at least 2 characters." in html
    assert 'role="alert"' in html
    assert 'value="A"' in html  # what the user typed stays
    assert not CustomModel.objects.exists()


def test_same_name_twice_says_language_already_exists(owner, login, htmx):
    client = login(owner)
    create(client, htmx)
    response = create(client, htmx, name="cardiology-en")
    assert response.status_code == 422
    assert b"Language already exists" in response.content
    assert CustomModel.objects.count() == 1


def test_unpublished_language_is_refused(owner, login, htmx):
    Language.objects.create(code="de", name="German", trainable=True)
    response = create(login(owner), htmx, language="de")
    assert response.status_code == 422
    assert b"The language is not published to your organization" in response.content


def test_untrainable_or_unknown_language_is_invalid(owner, untrainable, login, htmx):
    client = login(owner)
    for code in ["fr", "xx"]:
        response = create(client, htmx, language=code)
        assert response.status_code == 422
        assert b"Invalid language" in response.content
    assert not CustomModel.objects.exists()


def test_missing_fields_are_form_errors(owner, login, htmx):
    response = create(login(owner), htmx, name="", language="")
    assert response.status_code == 422
    assert response.content.count(b"This field is required.") == 2


def test_plan_model_limit_is_shown(owner, login, htmx):
    owner.organisation.plan.max_custom_models = 0
    owner.organisation.plan.save()
    response = create(login(owner), htmx)
    assert response.status_code == 422
    assert b"Your plan allows 0 custom models" in response.content


def test_without_htmx_create_redirects_to_the_list_with_a_toast(owner, login):
    client = login(owner)
    response = create(client, {})
    assert response.status_code == 302
    assert response["Location"] == "/custom-models/"
    assert b"Custom model created successfully" in client.get("/custom-models/").content


def test_featureless_organisation_cannot_create(featureless, login, htmx):
    response = create(login(featureless), htmx)
    assert response.status_code == 403
    assert not CustomModel.objects.exists()


def test_create_needs_post(owner, login):
    assert login(owner).get("/custom-models/new/").status_code == 405
