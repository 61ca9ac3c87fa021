"""The LLM serving model's parameters (resources/llm_profiles.json, described there) and which
deployed models are LLMs.

A SageMaker model is served as an LLM when its container image looks like one of the LLM serving
containers (LMI ``djl-inference``, vLLM, TGI ``huggingface-pytorch-tgi-inference`` / ``tgi``); its
``HF_MODEL_ID`` environment variable picks the model profile (the default one when it names none).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.paths import RESOURCES_DIR

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_LLM_PROFILE_PATH = RESOURCES_DIR / "llm_profiles.json"
DEFAULT_INSTANCE_KEY = "default"
RANDOM = "RANDOM"
LEAST_OUTSTANDING_REQUESTS = "LEAST_OUTSTANDING_REQUESTS"
# The repository part of the image URI (after the registry host, before the tag).
_LLM_IMAGE = re.compile(r"djl-inference|vllm|tgi-inference|(^|[/_-])tgi([:_-]|$)|text-generation-inference")


def is_llm_image(image: str) -> bool:
    """An LMI (djl-inference), vLLM or TGI container image."""
    repository = image.rsplit("@", 1)[0]
    repository = repository.split("/", 1)[-1] if "/" in repository else repository
    return bool(_LLM_IMAGE.search(repository.lower()))


@dataclass(frozen=True)
class LlmInstanceSpec:
    """One instance's engine (milliseconds and tokens)."""

    decode_base_ms: float
    decode_per_seq_ms: float
    prefill_ms_per_1k_tokens: float
    kv_cache_tokens: int
    max_num_seqs: int
    max_prefill_tokens: int

    def step_ms(self, decoding: int, prefill_tokens: int) -> float:
        """A step's mean duration: one token for each decoding sequence, plus the prefills."""
        return (
            self.decode_base_ms
            + self.decode_per_seq_ms * decoding
            + self.prefill_ms_per_1k_tokens * prefill_tokens / 1000.0
        )


@dataclass(frozen=True)
class LlmModelProfile:
    name: str
    instance_types: dict[str, LlmInstanceSpec]
    max_model_len: int = 8192
    default_max_tokens: int = 256
    bytes_per_token: float = 4.0

    def instance(self, instance_type: str) -> LlmInstanceSpec:
        """The spec of ``instance_type``, or the default one for types the table lacks."""
        found = self.instance_types.get(instance_type) or self.instance_types.get(DEFAULT_INSTANCE_KEY)
        if found is None:
            raise KeyError(f"LLM profile {self.name}: no {instance_type} and no {DEFAULT_INSTANCE_KEY!r}")
        return found

    def count_tokens(self, text_bytes: int) -> int:
        """The input tokens of a prompt of ``text_bytes`` UTF-8 bytes (at least 1)."""
        return max(1, round(text_bytes / self.bytes_per_token))


@dataclass(frozen=True)
class LlmProfiles:
    models: dict[str, LlmModelProfile]
    default_model: str
    noise: float = 0.03
    seed: int = 7
    routing: str = RANDOM
    max_waiting_per_instance: int = 256
    first_token_timeout_s: float = 60.0

    def model(self, hf_model_id: str | None) -> LlmModelProfile:
        """The profile ``HF_MODEL_ID`` names, else the default one."""
        return self.models.get(hf_model_id or "") or self.models[self.default_model]


def _spec(name: str, raw: dict[str, Any]) -> LlmInstanceSpec:
    spec = LlmInstanceSpec(
        decode_base_ms=float(raw["decode_base_ms"]),
        decode_per_seq_ms=float(raw["decode_per_seq_ms"]),
        prefill_ms_per_1k_tokens=float(raw["prefill_ms_per_1k_tokens"]),
        kv_cache_tokens=int(raw["kv_cache_tokens"]),
        max_num_seqs=int(raw["max_num_seqs"]),
        max_prefill_tokens=int(raw["max_prefill_tokens"]),
    )
    if spec.decode_base_ms <= 0 or spec.decode_per_seq_ms < 0 or spec.prefill_ms_per_1k_tokens < 0:
        raise ValueError(f"LLM profile {name}: step times must be positive")
    if min(spec.kv_cache_tokens, spec.max_num_seqs, spec.max_prefill_tokens) < 1:
        raise ValueError(f"LLM profile {name}: token and sequence budgets must be >= 1")
    return spec


def profiles_from_dict(data: dict[str, Any]) -> LlmProfiles:
    models = {
        name: LlmModelProfile(
            name=name,
            instance_types={t: _spec(f"{name} {t}", spec) for t, spec in raw["instance_types"].items()},
            max_model_len=int(raw.get("max_model_len", 8192)),
            default_max_tokens=int(raw.get("default_max_tokens", 256)),
            bytes_per_token=float(raw.get("bytes_per_token", 4.0)),
        )
        for name, raw in data["models"].items()
    }
    routing = str(data.get("routing", RANDOM))
    if routing not in (RANDOM, LEAST_OUTSTANDING_REQUESTS):
        raise ValueError(f"LLM profiles: routing must be {RANDOM} or {LEAST_OUTSTANDING_REQUESTS}")
    default = str(data["default_model"])
    if default not in models:
        raise ValueError(f"LLM profiles: default_model {default!r} is not among the models")
    return LlmProfiles(
        models=models,
        default_model=default,
        noise=float(data.get("noise", 0.03)),
        seed=int(data.get("seed", 7)),
        routing=routing,
        max_waiting_per_instance=int(data.get("max_waiting_per_instance", 256)),
        first_token_timeout_s=float(data.get("first_token_timeout_s", 60.0)),
    )


def load_llm_profiles(path: str | Path | None = None) -> LlmProfiles:
    """Read an LLM profile file (default: resources/llm_profiles.json)."""
    with open(path or DEFAULT_LLM_PROFILE_PATH, encoding="utf-8") as handle:
        return profiles_from_dict(json.load(handle))
