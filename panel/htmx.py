"""What every panel view shares: the log-in and organisation gate, and htmx responses."""

import json
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import membership_for_user


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def with_events(response: HttpResponse, **events: dict) -> HttpResponse:
    """Client events for panel.js (toasts, dialogs, refreshes), sent as HX-Trigger."""
    response["HX-Trigger"] = json.dumps(events)
    return response


def toast(message: str, level: str = "success") -> dict:
    return {"message": message, "level": level}


def member_page(*, automatic_training: bool) -> Callable[[Callable], Callable]:
    """Log-in and an organisation (and, for custom-model pages, the Automatic Training
    feature); the view receives the caller's membership."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                login = redirect_to_login(request.headers.get("HX-Current-URL") or request.get_full_path())
                if not is_htmx(request):
                    return login
                # An expired session while polling: following the redirect would swap the log-in
                # page into a fragment, so send the whole tab there instead.
                response = HttpResponse(status=204)
                response["HX-Redirect"] = login["Location"]
                return response
            membership = membership_for_user(user=request.user)
            if membership is None:
                return HttpResponse("Your account does not belong to an organisation.", status=403)
            if automatic_training and not membership.organisation.has_automatic_training:
                return render(request, "panel/feature_not_available.html", status=403)
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorate
