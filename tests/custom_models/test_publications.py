import pytest

from accounts.models import Organisation
from config.errors import ApplicationError
from custom_models.models import Language, LanguagePublication
from custom_models.services import language_publish, language_unpublish


@pytest.fixture
def reseller(enterprise_plan, english) -> Organisation:
    org = Organisation.objects.create(name="Reseller", slug="reseller", plan=enterprise_plan)
    language_publish(language=english, organisation=org)
    return org


@pytest.fixture
def resellee(reseller, enterprise_plan) -> Organisation:
    return Organisation.objects.create(name="Client", slug="client", plan=enterprise_plan, reseller=reseller)


def test_reseller_grants_its_languages_to_its_resellees(reseller, resellee, english):
    publication = language_publish(language=english, organisation=resellee, by=reseller)
    assert publication.granted_by == reseller
    assert resellee.is_resellee and not reseller.is_resellee


def test_reseller_cannot_grant_a_language_it_does_not_have(reseller, resellee):
    german = Language.objects.create(code="de", name="German", trainable=True)
    with pytest.raises(ApplicationError) as error:
        language_publish(language=german, organisation=resellee, by=reseller)
    assert error.value.error_code == "language-not-published"


def test_reseller_cannot_grant_to_someone_elses_organisation(reseller, outsider, english):
    with pytest.raises(ApplicationError) as error:
        language_publish(language=english, organisation=outsider.organisation, by=reseller)
    assert error.value.status == 403


def test_withdrawing_from_a_reseller_withdraws_its_grants(reseller, resellee, english):
    language_publish(language=english, organisation=resellee, by=reseller)
    language_unpublish(language=english, organisation=reseller)
    assert not LanguagePublication.objects.filter(organisation__in=[reseller, resellee]).exists()
