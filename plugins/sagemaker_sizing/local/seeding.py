"""SageMaker models on the local control plane, for a sizing to deploy (``local start --model``,
``local seed-model``): a model and its execution role, made when missing, as a user would have
them on AWS."""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol


class Clients(Protocol):
    """What seeding needs of a running local SageMaker (its status): boto3 clients on it."""

    def client(self, service: str) -> Any: ...


LOG = logging.getLogger(__name__)
SEED_ROLE_ARN = "arn:aws:iam::123456789012:role/local-sagemaker"
SEED_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/local-model:latest"


def seed_models(current: Clients, models: tuple[str, ...]) -> list[str]:
    """Create each model on the running control plane when missing; returns their ARNs."""
    if not models:
        return []
    client = current.client("sagemaker")
    _seed_role(current)
    arns = []
    for name in models:
        try:
            arns.append(client.describe_model(ModelName=name)["ModelArn"])
        except client.exceptions.ClientError:
            created = client.create_model(
                ModelName=name, ExecutionRoleArn=SEED_ROLE_ARN, PrimaryContainer={"Image": SEED_IMAGE}
            )
            arns.append(created["ModelArn"])
            LOG.info("seeded model %s", name)
    return arns


def _seed_role(current: Clients) -> None:
    """The seeded models' execution role, so preflight finds it as it would on AWS."""
    iam = current.client("iam")
    name = SEED_ROLE_ARN.rsplit("/", 1)[-1]
    try:
        iam.get_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
