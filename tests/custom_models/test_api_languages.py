from custom_models.models import Language
from custom_models.services import language_publish
from tests.conftest import assert_error


def test_lists_trainable_languages_published_to_the_organisation(owner, outsider):
    dutch = Language.objects.create(code="nl", name="Dutch", trainable=False)
    german = Language.objects.create(code="de", name="German", trainable=True)
    language_publish(language=dutch, organisation=owner.organisation)
    language_publish(language=german, organisation=outsider.organisation)

    body = owner.client().get("/api/v3/languages").json()
    assert body["results"] == [{"code": "en", "name": "English (US)"}]
    outsider_codes = [row["code"] for row in outsider.client().get("/api/v3/languages").json()["results"]]
    assert outsider_codes == ["en", "de"]


def test_languages_need_a_key(db):
    from rest_framework.test import APIClient

    assert_error(APIClient().get("/api/v3/languages"), 401, "UNAUTHORIZED")
