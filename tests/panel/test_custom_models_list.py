"""The Custom Models list page and its 20-second rows fragment."""

import re

from django.utils import timezone

from custom_models.models import Language, TrainingStatus


def test_list_needs_a_login(db, client):
    for url in ["/custom-models/", "/custom-models/rows/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_expired_session_sends_the_whole_tab_to_the_log_in_page(db, client, htmx):
    response = client.get(
        "/custom-models/rows/", HTTP_HX_CURRENT_URL="http://testserver/custom-models/", **htmx
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=http%3A//testserver/custom-models/"


def test_featureless_organisation_gets_feature_not_available_everywhere(featureless, login):
    client = login(featureless)
    for url in ["/custom-models/", "/custom-models/rows/", "/custom-models/1/"]:
        response = client.get(url)
        assert response.status_code == 403
        assert b"Feature not available" in response.content


def test_resellee_sees_no_upgrade_button(featureless, organisation, login):
    featureless.organisation.reseller = organisation
    featureless.organisation.save()
    response = login(featureless).get("/custom-models/")
    assert b"Feature not available" in response.content
    assert b"Upgrade Plan" not in response.content


def test_list_has_header_buttons_banner_and_columns(owner, make_model, login):
    make_model("Cardiology EN")
    html = login(owner).get("/custom-models/").content.decode()
    for text in ["Getting Started", "New custom model", "About Custom Models", "Force Alignment"]:
        assert text in html
    assert 'href="/?upload=force-alignment"' in html
    for column in ["Name", "Training status", "Base language", "Last modified"]:
        assert f"<th>{column}</th>" in html


def test_name_and_language_link_to_the_details_page(owner, make_model, login):
    model = make_model("Cardiology EN")
    html = login(owner).get("/custom-models/").content.decode()
    assert html.count(f'href="/custom-models/{model.pk}/"') == 3  # name, base language, Edit
    assert "English (US)" in html


def test_each_status_has_its_label_and_colour_class(owner, make_model, login):
    for status in TrainingStatus:
        make_model(f"Model {status.value}", status=status)
    html = login(owner).get("/custom-models/").content.decode()
    for status in TrainingStatus:
        assert (
            f'<span class="badge status-{status.value}" data-status="{status.value}">{status.label}</span>'
            in html
        )


def test_empty_state_offers_the_first_model(owner, login):
    html = login(owner).get("/custom-models/").content.decode()
    assert "No custom models yet" in html
    assert "Create your first custom model" in html
    assert "dashed-circle" in html
    assert 'data-testid="models-table"' not in html


def test_rows_poll_every_20_seconds(owner, login):
    # Polls wait while the tab is hidden (panel.js; tests/browser checks it), not through an
    # htmx trigger filter: those are evaluated with Function(), which the CSP forbids.
    html = login(owner).get("/custom-models/").content.decode()
    assert 'hx-get="/custom-models/rows/"' in html
    assert 'hx-trigger="every 20s, visibilitychange from:document, customModelsChanged from:body"' in html


def test_rows_fragment_is_only_the_table(owner, make_model, login, htmx):
    make_model("Cardiology EN")
    response = login(owner).get("/custom-models/rows/", **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Cardiology EN" in html
    assert "<html" not in html and "About Custom Models" not in html


def test_admin_and_sysop_see_delete_member_does_not(owner, sysop, member, make_model, login):
    make_model("Cardiology EN")
    assert b'title="Delete"' in login(owner).get("/custom-models/rows/").content
    assert b'title="Delete"' in login(sysop).get("/custom-models/").content
    member_html = login(member).get("/custom-models/").content
    assert b'title="Edit"' in member_html
    assert b'title="Delete"' not in member_html


def test_outsider_does_not_see_other_organisations_models(owner, outsider, make_model, login):
    make_model("Cardiology EN")
    assert b"Cardiology EN" not in login(outsider).get("/custom-models/").content
    assert b"Cardiology EN" not in login(outsider).get("/custom-models/rows/").content


def test_deleted_models_are_not_listed(owner, make_model, login):
    make_model("Gone", deleted_at=timezone.now())
    assert b"Gone" not in login(owner).get("/custom-models/rows/").content


def test_create_dialog_lists_only_trainable_published_languages(owner, untrainable, login):
    Language.objects.create(code="de", name="German", trainable=True)  # not published
    html = login(owner).get("/custom-models/").content.decode()
    assert '<option value="en">English (US)</option>' in html
    assert "French" not in html and "German" not in html


def test_getting_started_guide_opens_once_per_browser(owner, login):
    html = login(owner).get("/custom-models/").content.decode()
    assert "Getting Started with Custom Models" in html
    assert 'data-auto-open-once="custom-models.getting-started-seen"' in html


def test_htmx_requests_send_the_csrf_token_from_the_body(owner, make_model, login, htmx):
    model = make_model()
    client = login(owner, enforce_csrf_checks=True)
    html = client.get("/custom-models/").content.decode()
    token = re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'>", html).group(1)
    url = f"/custom-models/{model.pk}/delete/"
    assert client.post(url, **htmx).status_code == 403
    assert client.post(url, HTTP_X_CSRFTOKEN=token, **htmx).status_code == 204
