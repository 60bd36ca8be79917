"""The API's rate limits as a DRF throttle class: each view names its scope per HTTP method.

DRF's ScopedRateThrottle keys on the user, so two API keys of one user would share a budget
where the spec counts per key; the counting itself is accounts.services.rate_limit_hit.
"""

from rest_framework import throttling

from accounts.models import ApiKey
from accounts.services import rate_limit_caller, rate_limit_hit


class ScopedThrottle(throttling.BaseThrottle):
    """`throttle_scopes = {"GET": "status_check", …}` on a view; methods not named are not limited."""

    def allow_request(self, request, view) -> bool:
        scopes = getattr(view, "throttle_scopes", {})
        # Django answers HEAD with the GET handler, so a HEAD is a GET without its body and counts as one.
        method = "GET" if request.method == "HEAD" and "HEAD" not in scopes else request.method
        scope = scopes.get(method)
        if not scope:
            return True
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        caller = rate_limit_caller(user=request.user, api_key=api_key, address=self.get_ident(request))
        self.retry_after = rate_limit_hit(scope=scope, caller=caller)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after
