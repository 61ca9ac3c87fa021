"""The local SageMaker's service quotas: AWS's ResourceLimitExceeded on CreateEndpoint,
UpdateEndpoint and UpdateEndpointWeightsAndCapacities, Service Quotas listing the applied values, on
moto in-process (mock_aws)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from sagemaker_sizing.local import moto_patches
from sagemaker_sizing.local.quotas import parse_assignments
from sagemaker_sizing.local.state_files import set_quotas

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ROLE = "arn:aws:iam::123456789012:role/r"
KEYS = {"region_name": "us-west-2", "aws_access_key_id": "x", "aws_secret_access_key": "y"}


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[tuple[Any, Any, Path]]:
    quota_file = tmp_path / "quotas.json"
    quota_file.write_text(json.dumps({"ml.m5.xlarge": 0, "ml.m5.large": 3}))
    with mock_aws():
        moto_patches.apply(0.0, quota_file=str(quota_file))
        sagemaker = boto3.client("sagemaker", **KEYS)
        sagemaker.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i"})
        for name, instance_type, count in (
            ("l2", "ml.m5.large", 2),
            ("l3", "ml.m5.large", 3),
            ("x1", "ml.m5.xlarge", 1),
        ):
            sagemaker.create_endpoint_config(
                EndpointConfigName=name,
                ProductionVariants=[
                    {
                        "VariantName": "v",
                        "ModelName": "m",
                        "InitialInstanceCount": count,
                        "InstanceType": instance_type,
                    }
                ],
            )
        yield sagemaker, boto3.client("service-quotas", **KEYS), quota_file
    moto_patches.apply(0.0)


def test_create_beyond_the_quota_fails_with_aws_message(clients: tuple[Any, Any, Path]) -> None:
    sagemaker, _, _ = clients
    with pytest.raises(ClientError) as caught:
        sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="x1")
    assert caught.value.response["Error"]["Code"] == "ResourceLimitExceeded"
    assert caught.value.response["Error"]["Message"] == (
        "The account-level service limit 'ml.m5.xlarge for endpoint usage' is 0 Instances, with current "
        "utilization of 0 Instances and a request delta of 1 Instances. Please use AWS Service Quotas to "
        "request an increase to this quota."
    )
    assert sagemaker.list_endpoints()["Endpoints"] == []


def test_other_endpoints_count_and_an_update_replaces_its_own(clients: tuple[Any, Any, Path]) -> None:
    sagemaker, _, _ = clients
    sagemaker.create_endpoint(EndpointName="a", EndpointConfigName="l2")
    sagemaker.update_endpoint(EndpointName="a", EndpointConfigName="l3")  # 3 of 3: its own 2 go away
    with pytest.raises(ClientError, match="current utilization of 3 Instances and a request delta of 2"):
        sagemaker.create_endpoint(EndpointName="b", EndpointConfigName="l2")


def test_a_quota_lowered_while_running_refuses_the_next_update(clients: tuple[Any, Any, Path]) -> None:
    sagemaker, _, quota_file = clients
    sagemaker.create_endpoint(EndpointName="a", EndpointConfigName="l2")
    set_quotas({"ml.m5.large": 2}, quota_file.parent)
    with pytest.raises(ClientError) as caught:
        sagemaker.update_endpoint(EndpointName="a", EndpointConfigName="l3")
    assert caught.value.response["Error"]["Code"] == "ResourceLimitExceeded"
    assert sagemaker.describe_endpoint(EndpointName="a")["EndpointConfigName"] == "l2"


def test_a_count_changed_in_place_beyond_the_quota_is_refused(clients: tuple[Any, Any, Path]) -> None:
    sagemaker, _, _ = clients
    sagemaker.create_endpoint(EndpointName="a", EndpointConfigName="l2")

    def resize(count: int) -> None:
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName="a",
            DesiredWeightsAndCapacities=[{"VariantName": "v", "DesiredInstanceCount": count}],
        )

    resize(3)  # 3 of 3: its own 2 are replaced
    with pytest.raises(ClientError) as caught:
        resize(4)
    assert caught.value.response["Error"]["Code"] == "ResourceLimitExceeded"
    assert "'ml.m5.large for endpoint usage' is 3 Instances" in caught.value.response["Error"]["Message"]
    variant = sagemaker.describe_endpoint(EndpointName="a")["ProductionVariants"][0]
    assert variant["CurrentInstanceCount"] == 3


def test_the_endpoint_count_quota(clients: tuple[Any, Any, Path]) -> None:
    sagemaker, _, quota_file = clients
    set_quotas(parse_assignments(["endpoints=1"]), quota_file.parent)
    sagemaker.create_endpoint(EndpointName="a", EndpointConfigName="l2")
    with pytest.raises(ClientError, match="'Number of endpoints' is 1 Endpoints"):
        sagemaker.create_endpoint(EndpointName="b", EndpointConfigName="l2")


def test_service_quotas_lists_the_applied_values(clients: tuple[Any, Any, Path]) -> None:
    _, quotas, _ = clients
    listed = {
        q["QuotaName"]: q["Value"] for q in quotas.list_service_quotas(ServiceCode="sagemaker")["Quotas"]
    }
    assert listed["ml.m5.xlarge for endpoint usage"] == 0
    assert listed["ml.m5.large for endpoint usage"] == 3
    assert listed["ml.c5.large for endpoint usage"] >= 100  # generous default
    assert listed["Number of endpoints"] >= 100


@pytest.mark.parametrize("bad", ["ml.m5.large", "m5.large=2", "ml.m5.large=-1", "endpoints=x"])
def test_bad_quota_assignments_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="TYPE=N"):
        parse_assignments([bad])


def test_iam_simulation_allows_everything_locally() -> None:
    with mock_aws():
        moto_patches.apply(0.0)
        iam = boto3.client("iam", **KEYS)
        answer = iam.simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::123456789012:role/x",
            ActionNames=["sagemaker:CreateEndpoint", "iam:GetRole"],
        )
    assert [(r["EvalActionName"], r["EvalDecision"]) for r in answer["EvaluationResults"]] == [
        ("sagemaker:CreateEndpoint", "allowed"),
        ("iam:GetRole", "allowed"),
    ]
