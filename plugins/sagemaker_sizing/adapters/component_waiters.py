"""botocore waiters for inference components: in service, settled, deleted.

botocore's SageMaker waiters (waiters-2.json) have none for components, nor has the Amazon
provider; these are waiter models in botocore's own format on DescribeInferenceComponent, like
the endpoint's settled waiter in ``sagemaker``. A component that does not exist answers
ValidationException ("Could not find inference component").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.waiter import WaiterModel, create_waiter_with_client

from sagemaker_sizing.adapters.sagemaker import WAIT_DELAY_S, WAIT_MAX_ATTEMPTS

if TYPE_CHECKING:
    from botocore.waiter import Waiter

OPERATION = "DescribeInferenceComponent"
STATUS = "InferenceComponentStatus"
TRANSITIONAL = frozenset({"Creating", "Updating", "Deleting"})
GONE = {"matcher": "error", "expected": "ValidationException"}


def _waiter(client: Any, name: str, acceptors: list[dict[str, Any]]) -> Waiter:
    model = WaiterModel(
        {
            "version": 2,
            "waiters": {
                name: {
                    "operation": OPERATION,
                    "delay": WAIT_DELAY_S,
                    "maxAttempts": WAIT_MAX_ATTEMPTS,
                    "acceptors": acceptors,
                }
            },
        }
    )
    return create_waiter_with_client(name, model, client)


def _status(expected: str, state: str) -> dict[str, Any]:
    return {"matcher": "path", "argument": STATUS, "expected": expected, "state": state}


def in_service_waiter(client: Any) -> Waiter:
    """InService; Failed or gone end the wait as a failure."""
    return _waiter(
        client,
        "InferenceComponentInService",
        [_status("InService", "success"), _status("Failed", "failure"), GONE | {"state": "failure"}],
    )


def settled_waiter(client: Any) -> Waiter:
    """No operation in flight: any status outside Creating/Updating/Deleting, or gone."""
    statuses = client.meta.service_model.shape_for("InferenceComponentStatus").enum
    settled = [s for s in statuses if s not in TRANSITIONAL]
    return _waiter(
        client,
        "InferenceComponentSettled",
        [*(_status(s, "success") for s in settled), GONE | {"state": "success"}],
    )


def deleted_waiter(client: Any) -> Waiter:
    """Gone (after a delete was issued); Failed ends the wait as a failure."""
    return _waiter(
        client, "InferenceComponentDeleted", [GONE | {"state": "success"}, _status("Failed", "failure")]
    )
