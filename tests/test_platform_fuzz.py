"""A bounded schemathesis pass over every operation of the stand-in platform, held to its OpenAPI file
(docs/platform-openapi.yaml, generated from the app) with every check (the CLI's `--checks all`): no 5xx, no status,
header or body outside the document, bad input refused and good input taken, every undeclared method a 405 with Allow.
Each operation on its own (the examples, coverage and fuzzing phases), then sequences along the document's links (the
stateful phase).

The stand-in's own switches are fuzzed too: after each request the platform is put back as it was
(PlatformServer.settle: the fault switch cleared, a closed port opened), so a switch the fuzzer flipped never
answers the next request. unlock and desk-checkins run without a broker here, so they answer 503 (documented)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from tests.conftest import REPO

# Every check on, as the CLI's `--checks all`. Good data may meet a rule (409: a booking too late, a room taken; 403;
# 404 for an id the seed does not hold) or a fault switch (401, 429), never a 422: that is a malformed request's.
ALL_CHECKS = schemathesis.Config.from_dict(
    {
        "checks": {
            "enabled": True,
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "429"]},
        }
    }
)
schema = schemathesis.openapi.from_path(str(REPO / "docs" / "platform-openapi.yaml"), config=ALL_CHECKS)


@schema.parametrize()
@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_stand_in_platform_keeps_to_its_contract(case, offline_platform) -> None:
    try:
        case.call_and_validate(base_url=offline_platform.server.url, timeout=5)
    finally:
        offline_platform.server.settle()


def test_the_stand_in_keeps_to_its_contract_from_one_call_to_the_next(offline_platform) -> None:
    class FollowingLinks(schema.as_state_machine()):
        """Sequences of calls along the document's links (a member, then their pass; a booking, then its cancel)."""

        def get_call_kwargs(self, case) -> dict:
            """Every call to the stand-in of this test."""
            return {"base_url": offline_platform.server.url, "timeout": 5}

        def after_call(self, response, case) -> None:
            """Put the stand-in back after each call."""
            offline_platform.server.settle()

    FollowingLinks.run(
        settings=settings(
            max_examples=100,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_the_pass_covers_every_operation_of_the_document() -> None:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(
        method in ("get", "put", "post", "delete") for item in schema.raw_schema["paths"].values() for method in item
    )
    assert {"/_sim/faults", "/_sim/keys", "/desk-checkins"} <= {operation.path for operation in operations}
