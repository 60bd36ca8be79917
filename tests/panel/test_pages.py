import re

from django.test import Client


def logged_in(persona) -> Client:
    client = Client()
    assert client.login(username=persona.user.username, password=persona.user.username)
    return client


def test_login_page_logs_in_with_django_auth(owner):
    client = Client()
    response = client.post("/accounts/login/", {"username": "alice", "password": "alice"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_password_stays_on_the_login_page(owner):
    response = Client().post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content


def test_pages_need_a_login(db):
    response = Client().get("/custom-models/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logout_ends_the_session(owner):
    client = logged_in(owner)
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_sidebar_shows_custom_models_only_with_automatic_training(owner, featureless):
    assert b"nav-custom-models" in logged_in(owner).get("/").content
    assert b"nav-custom-models" not in logged_in(featureless).get("/").content


def test_featureless_organisation_sees_feature_not_available_with_upgrade(featureless):
    response = logged_in(featureless).get("/custom-models/")
    assert response.status_code == 403
    assert b"Feature not available" in response.content
    assert b"Upgrade Plan" in response.content
    assert b'href="/"' in response.content


def test_panel_session_can_use_the_api_with_csrf(owner):
    from django.test import Client as CsrfClient

    client = CsrfClient(enforce_csrf_checks=True)
    client.login(username="alice", password="alice")
    refused = client.post(
        "/api/v3/custom_models", {"name": "Via panel", "language": "en"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert client.get("/api/v3/custom_models").status_code == 200


def policy(response) -> dict[str, list[str]]:
    directives = (part.split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {name: values for name, *values in directives}


def test_panel_pages_allow_only_the_sites_own_scripts(owner, make_model):
    model = make_model()
    client = logged_in(owner)
    for path in [
        "/accounts/login/",
        "/",
        "/custom-models/",
        f"/custom-models/{model.pk}/",
        "/custom-models/rows/",
    ]:
        csp = policy(client.get(path))
        assert csp["script-src"] == ["'self'"], path
        assert csp["style-src"] == ["'self'"], path
        assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"], path


def test_lockout_page_has_the_policy_too(owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = Client().post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    assert policy(response)["script-src"] == ["'self'"]


def test_panel_pages_have_no_inline_scripts_or_styles(owner, make_model):
    from custom_models.models import TrainingStatus

    model = make_model(status=TrainingStatus.RUNNING, training_progress=42)
    client = logged_in(owner)
    for path in ["/accounts/login/", "/", "/custom-models/", f"/custom-models/{model.pk}/"]:
        html = client.get(path).content.decode()
        # Scripts come from files; a JSON data block (json_script) is data, not run.
        assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/json\"))", html), path
        assert "<style" not in html, path
        assert not re.search(r"\s(style|on[a-z]+|hx-on[:-][\w:-]*)=", html), path
        assert "[document." not in html, path  # an hx-trigger filter: htmx evaluates it


def test_no_template_comment_shows_on_a_page(owner, make_model):
    # Django's {# #} comments are one line only: a longer one is printed as page text.
    from custom_models.models import TrainingStatus

    model = make_model(status=TrainingStatus.RUNNING, training_progress=42)
    client = logged_in(owner)
    for path in ["/accounts/login/", "/", "/custom-models/", f"/custom-models/{model.pk}/"]:
        html = client.get(path).content.decode()
        assert "{#" not in html and "#}" not in html, path
