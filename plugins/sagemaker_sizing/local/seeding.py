"""SageMaker models on the local control plane, for a sizing to deploy (``local start --model``,
``local seed-model``): a model and its execution role, made when missing, as a user would have
them on AWS. An LLM model (``--llm``) looks like an LMI one: a ``djl-inference`` image and the
``HF_MODEL_ID`` of a profile in resources/llm_profiles.json, so the runtime serves it as an LLM."""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from sagemaker_sizing.local.llm_profiles import is_llm_image, load_llm_profiles


class Clients(Protocol):
    """What seeding needs of a running local SageMaker (its status): boto3 clients on it."""

    def client(self, service: str) -> Any: ...


LOG = logging.getLogger(__name__)
SEED_ROLE_ARN = "arn:aws:iam::123456789012:role/local-sagemaker"
SEED_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/local-model:latest"
# AWS's LMI (DJL Serving) container with vLLM: what an LLM endpoint's model usually runs.
LLM_IMAGE = "763104351884.dkr.ecr.us-west-2.amazonaws.com/djl-inference:0.31.0-lmi13.0.0-cu124"
DEFAULT_LLM_MODEL_NAME = "local-llm-model"


def llm_container(hf_model_id: str | None = None) -> dict[str, Any]:
    """An LMI container definition serving ``hf_model_id`` (default: the profiles' default model)."""
    model_id = hf_model_id or load_llm_profiles().default_model
    return {
        "Image": LLM_IMAGE,
        "Environment": {
            "HF_MODEL_ID": model_id,
            "OPTION_ROLLING_BATCH": "vllm",
            "OPTION_MAX_MODEL_LEN": "8192",
        },
    }


def seed_models(
    current: Clients,
    models: tuple[str, ...],
    llm_models: tuple[str, ...] = (),
    hf_model_id: str | None = None,
) -> list[str]:
    """Create each model on the running control plane when missing (``llm_models`` as LLM ones,
    serving ``hf_model_id``); returns their ARNs, ``models`` first."""
    if not models and not llm_models:
        return []
    client = current.client("sagemaker")
    _seed_role(current)
    wanted = [(name, {"Image": SEED_IMAGE}) for name in models]
    wanted += [(name, llm_container(hf_model_id)) for name in llm_models]
    arns = []
    for name, container in wanted:
        try:
            found = client.describe_model(ModelName=name)
        except client.exceptions.ClientError:
            created = client.create_model(
                ModelName=name, ExecutionRoleArn=SEED_ROLE_ARN, PrimaryContainer=container
            )
            arns.append(created["ModelArn"])
            LOG.info("seeded model %s (%s)", name, container["Image"])
            continue
        image = str((found.get("PrimaryContainer") or {}).get("Image", ""))
        if is_llm_image(container["Image"]) and not is_llm_image(image):
            raise ValueError(f"model {name} exists and its container ({image}) does not serve an LLM")
        arns.append(found["ModelArn"])
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
