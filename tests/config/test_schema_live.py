"""The API against its own OpenAPI schema over HTTP: schemathesis on a live server.

Every operation is fuzzed (valid and invalid input), then the links are followed
statefully: a language from /languages creates a model, whose id feeds every
id-based operation. Each response must not be a server error, must have a
documented status and content type, and must match its declared body.
"""

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import hide_unreadable_lazy_modules_from_hypothesis

pytestmark = pytest.mark.integration

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
RAISED = "100000/min"
# Small enough for two shared cores, and no shrinking, so a failure does not stretch the run.
BOUNDED = {
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "database": None,
    "phases": [Phase.explicit, Phase.generate],
}
FUZZ = settings(max_examples=12, derandomize=True, **BOUNDED)
STATEFUL = settings(max_examples=40, stateful_step_count=10, **BOUNDED)

# tus chunks are raw bytes under their own media type.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

requests_sent: Counter = Counter()


@pytest.fixture
def api_schema(live_server, transactional_db, owner, settings):
    hide_unreadable_lazy_modules_from_hypothesis()  # SpeechBrain's, loaded since collection
    # The limits would answer 429 long before the fuzzer is done; they have tests of their own.
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, RAISED),
    }
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v3/schema/")
    schema.config.update(base_url=live_server.url, headers={"Authorization": f"Bearer {owner.token}"})
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_its_schema_says(case):
    requests_sent[case.operation.label] += 1
    case.call_and_validate(checks=CHECKS)


def test_linked_operations_answer_as_the_schema_says(api_schema):
    failures: list[str] = []
    scenarios: Counter = Counter()
    answered: Counter = Counter()

    def followed() -> bool:
        """A model was created with a language from /languages, then an operation on its id
        succeeded (which one depends on what Hypothesis draws among the linked operations)."""
        return bool(answered["POST /api/v3/custom_models", 201]) and any(
            "{id}" in label and status < 400 for (label, status), count in answered.items() if count
        )

    class Links(api_schema.as_state_machine()):
        def setup(self):
            scenarios["started"] += 1

        def call(self, case, **kwargs):
            requests_sent[f"stateful {case.operation.label}"] += 1
            response = super().call(case, **kwargs)
            answered[case.operation.label, response.status_code] += 1
            return response

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # Recorded, not raised, so every scenario runs (the way schemathesis's own runner reports).
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                failures.extend(f"{case.operation.label}: {failure.title}" for failure in group.exceptions)

    # A scenario depends on what the server answered before, so Hypothesis may find that a replay
    # draws differently (Flaky); like schemathesis's runner, start again until the budget is spent.
    budget = STATEFUL.max_examples
    while scenarios["started"] < budget or (not followed() and scenarios["started"] < 3 * budget):
        try:
            Links.run(settings=STATEFUL)
        except Flaky:
            continue
    stateful = {
        label.removeprefix("stateful "): n for label, n in requests_sent.items() if "stateful " in label
    }
    print(
        f"\nschemathesis: {len({label.removeprefix('stateful ') for label in requests_sent})} operations, "
        f"{sum(requests_sent.values())} requests ({sum(stateful.values())} stateful, "
        f"{scenarios['started']} scenarios), {len(failures)} failures"
    )
    print("\n".join(f"  {n:4} {label}" for label, n in sorted(stateful.items())))
    assert not failures, failures
    assert followed(), answered
