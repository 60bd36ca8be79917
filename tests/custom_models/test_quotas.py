from decimal import Decimal

import pytest

from config.errors import ApplicationError
from custom_models.models import QuotaClaim
from custom_models.quotas import claim_take


def take(persona, kind=QuotaClaim.Kind.TRAINING):
    return claim_take(organisation=persona.organisation, kind=kind)


def test_claims_are_free_within_fair_use(outsider):
    # Gold in the fixtures: 2 free training claims, then 50 each up to a budget of 100.
    assert take(outsider).price == 0
    assert take(outsider).price == 0


def test_beyond_fair_use_claims_are_paid_while_budget_lasts(outsider):
    take(outsider), take(outsider)
    assert take(outsider).price == Decimal("50")
    assert take(outsider).price == Decimal("50")
    with pytest.raises(ApplicationError) as error:
        take(outsider)
    assert error.value.error_code == "no-claims-available"


def test_without_a_unit_price_there_is_no_pay_per_use(outsider):
    take(outsider, QuotaClaim.Kind.HOSTING)  # the one free hosting claim
    with pytest.raises(ApplicationError) as error:
        take(outsider, QuotaClaim.Kind.HOSTING)
    assert error.value.error_code == "no-claims-available"
    assert "hosting" in error.value.message


def test_training_and_hosting_are_counted_apart(outsider):
    take(outsider, QuotaClaim.Kind.HOSTING)
    assert take(outsider, QuotaClaim.Kind.TRAINING).price == 0


def test_claims_of_last_period_do_not_count(outsider):
    import datetime

    take(outsider, QuotaClaim.Kind.HOSTING)
    QuotaClaim.objects.update(period=datetime.date(2000, 1, 1))
    assert take(outsider, QuotaClaim.Kind.HOSTING).price == 0


def test_feature_less_plan_has_no_claims(featureless):
    with pytest.raises(ApplicationError):
        take(featureless)
