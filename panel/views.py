"""Panel pages. They render what the services and selectors return; no rules live here."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from custom_models import selectors
from panel.selectors import membership_for_user


@login_required
def dashboard(request):
    return render(request, "panel/dashboard.html")


@login_required
def custom_model_list(request):
    membership = membership_for_user(user=request.user)
    if membership is None or not membership.organisation.has_automatic_training:
        return render(request, "panel/feature_not_available.html", status=403)
    models = selectors.custom_model_list(organisation=membership.organisation)
    return render(request, "panel/custom_models.html", {"models": models})
