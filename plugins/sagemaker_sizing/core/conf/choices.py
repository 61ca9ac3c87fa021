"""The values a conf's choice fields allow, as ``Literal`` types and tuples.

Apart from the model so that the command line (``simulate --strategy``) and the jar reader name
them without importing pydantic.
"""

from __future__ import annotations

from typing import Literal, get_args

Strategy = Literal["adaptive", "perfsize"]
EndpointKind = Literal["realtime", "serverless"]  # in canonical order: a walk of them is kept so
JarKind = Literal["auto", "project", "sagemaker-gatling"]  # core.gatling.jar_kind
OnQuota = Literal["stop", "skip"]
# What the endpoint serves (issue 24): requests judged on one p99 (Gatling), or an LLM judged on its
# tokens (AIPerf: TTFT, ITL, end-to-end p99), whose container speaks OpenAI's chat or completions API.
Workload = Literal["tps", "llm"]
LlmApi = Literal["chat", "completions"]
# How an LLM is hosted (issue 25): a model on the endpoint's variant, or inference components (the
# endpoint owns instances, each model is a component with its compute per copy and a copy count).
Hosting = Literal["endpoint", "inference_components"]

STRATEGIES: tuple[str, ...] = get_args(Strategy)
ENDPOINT_KINDS: tuple[str, ...] = get_args(EndpointKind)
JAR_KINDS: tuple[str, ...] = get_args(JarKind)
ON_QUOTA: tuple[str, ...] = get_args(OnQuota)
WORKLOADS: tuple[str, ...] = get_args(Workload)
LLM_APIS: tuple[str, ...] = get_args(LlmApi)
HOSTINGS: tuple[str, ...] = get_args(Hosting)
