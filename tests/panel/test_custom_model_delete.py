"""Deleting from the list: admins and sysops only, enforced by the service."""

import pytest

from custom_models.models import CustomModel


@pytest.mark.parametrize("persona", ["owner", "sysop"])
def test_admin_and_sysop_delete_with_a_toast_and_a_list_refresh(request, persona, make_model, login, htmx):
    model = make_model()
    client = login(request.getfixturevalue(persona))
    response = client.post(f"/custom-models/{model.pk}/delete/", **htmx)
    assert response.status_code == 204
    assert response["HX-Trigger"] == (
        '{"toast": {"message": "Custom model deleted successfully", "level": "success"}, '
        '"customModelsChanged": {}}'
    )
    model.refresh_from_db()
    assert model.deleted_at is not None
    assert b"Cardiology EN" not in client.get("/custom-models/rows/").content


def test_member_gets_403_and_the_model_stays(member, make_model, login, htmx):
    model = make_model()
    client = login(member)
    refused = client.post(f"/custom-models/{model.pk}/delete/", **htmx)
    assert refused.status_code == 403
    assert "Only admins and sysops can delete custom models." in refused["HX-Trigger"]
    assert client.post(f"/custom-models/{model.pk}/delete/").status_code == 403
    assert CustomModel.objects.alive().filter(pk=model.pk).exists()


def test_outsider_gets_404(outsider, make_model, login):
    model = make_model()
    assert login(outsider).post(f"/custom-models/{model.pk}/delete/").status_code == 404
    assert CustomModel.objects.alive().filter(pk=model.pk).exists()


def test_delete_twice_is_404(owner, make_model, login):
    model = make_model()
    client = login(owner)
    assert client.post(f"/custom-models/{model.pk}/delete/").status_code == 302
    assert client.post(f"/custom-models/{model.pk}/delete/").status_code == 404


def test_without_htmx_delete_redirects_to_the_list_with_a_toast(owner, make_model, login):
    model = make_model()
    client = login(owner)
    response = client.post(f"/custom-models/{model.pk}/delete/")
    assert response["Location"] == "/custom-models/"
    html = client.get("/custom-models/").content.decode()
    assert "Custom model deleted successfully" in html
    assert "No custom models yet" in html


def test_delete_needs_post(owner, make_model, login):
    model = make_model()
    assert login(owner).get(f"/custom-models/{model.pk}/delete/").status_code == 405
