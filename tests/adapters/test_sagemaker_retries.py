"""Throttling and paging are botocore's: the client's retry policy, and its paginators."""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from sagemaker_sizing.adapters.sagemaker import with_retries


def test_with_retries_adds_a_policy_only_when_the_connection_has_none() -> None:
    assert with_retries(None).retries == {"mode": "standard", "max_attempts": 10}
    assert with_retries(Config(connect_timeout=5)).connect_timeout == 5
    own = Config(retries={"mode": "adaptive", "max_attempts": 3})
    assert with_retries(own).retries == {"mode": "adaptive", "max_attempts": 3}


def test_the_manager_client_uses_the_connection_with_retries(manager: Any) -> None:
    # Built from the provider hook: endpoint_url from the connection extra, retry policy added.
    client = manager.client
    assert client.meta.endpoint_url.startswith("http://127.0.0.1:")
    assert client.meta.region_name == "us-west-2"
    assert client.meta.config.retries["mode"] == "standard"
    assert manager.autoscaling.client.meta.config.retries["mode"] == "standard"
    assert manager.autoscaling.client.meta.endpoint_url == client.meta.endpoint_url


def test_tags_are_read_across_pages(manager: Any, aws: dict[str, Any]) -> None:
    sm = aws["sagemaker"]
    variant = {"VariantName": "v", "ModelName": aws["model"], "InstanceType": "ml.m5.large"}
    tags = [{"Key": f"k{i:03}", "Value": str(i)} for i in range(120)]  # ListTags pages hold 50
    arn = sm.create_endpoint_config(
        EndpointConfigName="many-tags", ProductionVariants=[{**variant, "InitialInstanceCount": 1}], Tags=tags
    )["EndpointConfigArn"]
    assert sm.list_tags(ResourceArn=arn).get("NextToken")  # more than one page indeed

    assert manager.tags(arn) == {t["Key"]: t["Value"] for t in tags}


def test_scaling_targets_are_found_across_pages(manager: Any, aws: dict[str, Any]) -> None:
    # 120 registered variants: three pages of moto's 50 (its repeated NextToken is patched locally).
    names = {f"ep-{i:03}" for i in range(120)}
    for name in names:
        aws["autoscaling"].register_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=f"endpoint/{name}/variant/v",
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
            MinCapacity=1,
            MaxCapacity=2,
        )

    found = manager.autoscaling.targets_of(names | {"another"})

    assert sorted(found) == sorted(f"endpoint/{name}/variant/v" for name in names)
