"""Training and hosting claims against an organisation's plan.

Services, kept apart from services.py because billing is a concern of its own: what a plan
allows each period and what a claim costs, read as a whole here; its callers (a training
start, a model enabled for hosting) take and give back claims without knowing the terms.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Organisation, Plan
from config.errors import ApplicationError
from custom_models.models import CustomModel, QuotaClaim


def billing_period(when: datetime.datetime | None = None) -> datetime.date:
    return (when or timezone.now()).date().replace(day=1)


def _plan_terms(plan: Plan, kind: str) -> tuple[int, Decimal | None, Decimal]:
    if kind == QuotaClaim.Kind.TRAINING:
        return plan.training_fair_use_limit, plan.training_unit_price, plan.training_budget
    return plan.hosting_fair_use_limit, plan.hosting_unit_price, plan.hosting_budget


@transaction.atomic
def claim_take(
    *, organisation: Organisation, kind: str, custom_model: CustomModel | None = None
) -> QuotaClaim:
    """Take one claim: free within fair use, else paid while the budget lasts.

    Raises `no-claims-available` when neither is possible.
    """
    # Lock the organisation row so two concurrent claims cannot both take the last unit.
    organisation = Organisation.objects.select_for_update().select_related("plan").get(pk=organisation.pk)
    fair_use, unit_price, budget = _plan_terms(organisation.plan, kind)
    period = billing_period()
    claims = QuotaClaim.objects.filter(organisation=organisation, kind=kind, period=period)

    if claims.count() < fair_use:
        price = Decimal("0")
    elif (
        unit_price is not None and (claims.aggregate(spent=Sum("price"))["spent"] or 0) + unit_price <= budget
    ):
        price = unit_price
    else:
        what = "training" if kind == QuotaClaim.Kind.TRAINING else "hosting"
        raise ApplicationError(
            f"No {what} claims available: the plan's {what} quota for this billing period is used up.",
            error_code="no-claims-available",
            status=402,
            details={"kind": kind, "period": period.isoformat(), "fair_use_limit": fair_use},
        )
    return QuotaClaim.objects.create(
        organisation=organisation, custom_model=custom_model, kind=kind, period=period, price=price
    )


def claim_release(*, custom_model: CustomModel, kind: str) -> bool:
    """Give back the model's latest claim of this kind, e.g. for a training cancelled before it
    started: the plan counts it no more (whichever period it was taken in). False if there is none."""
    claims = QuotaClaim.objects.filter(custom_model=custom_model, kind=kind)
    claim = claims.order_by("-created_at", "-pk").first()
    if claim is None:
        return False
    claim.delete()
    return True
